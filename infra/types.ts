/** The props of the constructs; defaults and limits are checked in props.ts. */
import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { BudgetDefinitionInput } from '../common/budgets/types.js';

export interface GovernancePipelineProps {
  /**
   * The Secrets Manager secret with the Honeycomb keys: `{"ingestKey": "…", "configKey": "…"}` (docs/deploy.md).
   * A name, a complete ARN, a partial ARN, or an ISecret. Only the aggregator, the budget function and the
   * deploy marker may read it.
   */
  readonly honeycombSecret: string | secretsmanager.ISecret;
  /** The customer-managed KMS key of the secret, if it has one (the readers get kms:Decrypt through Secrets Manager only). */
  readonly honeycombSecretKey?: kms.IKey;
  /** @default https://api.honeycomb.io (EU: https://api.eu1.honeycomb.io) */
  readonly honeycombApiHost?: string;
  /** Dataset of span, roll-up and budget snapshot events. @default genops-ai */
  readonly dataset?: string;

  /** Provisioned shards; each takes 1 MB/s or 1,000 records/s of writes. Ignored with `onDemand`. @default 1 */
  readonly shardCount?: number;
  /** On-demand capacity mode instead of provisioned shards. @default false */
  readonly onDemand?: boolean;
  /** How long the stream keeps records; replays and the failed-batch queue depend on it. 24 h–365 days. @default 24 hours */
  readonly streamRetention?: Duration;

  /** Records per aggregator invocation, 1–10,000. @default 500 */
  readonly batchSize?: number;
  /** How long the mapping gathers records before invoking, 0–300 s. @default 5 seconds */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent batches per shard, 1–10 (order is kept per partition key). @default 1 */
  readonly parallelizationFactor?: number;
  /** Retries of a failing batch, 0–10,000; `maxRecordAge` is the bound that usually ends them. @default 1000 */
  readonly retryAttempts?: number;
  /** Records older than this are not retried: their range goes to the failed-batch queue. 60 s–7 days, below `streamRetention`. @default 6 hours */
  readonly maxRecordAge?: Duration;
  /** Split a failing batch in two and retry the halves. @default true */
  readonly bisectBatchOnError?: boolean;
  /** Aggregator memory in MB (CPU grows with it). @default 1024 */
  readonly aggregatorMemorySize?: number;
  /** Aggregator timeout, 10–900 s. @default 60 seconds */
  readonly aggregatorTimeout?: Duration;
  /** 1 keeps every span; N keeps one trace in N (errors, blocked policies and costly calls are always kept). @default 1 */
  readonly sampleRate?: number;

  /** Budget definitions (docs/budgets.md), checked with the budget function's own schema. Without budgets there is no ledger and no budget function. */
  readonly budgets?: BudgetDefinitionInput[];
  /** When the budget function runs. @default every 5 minutes */
  readonly budgetSchedule?: events.Schedule;
  /** Post a marker for each threshold crossed. @default true */
  readonly budgetMarkers?: boolean;
  /** Subscribe this address to budget alerts and alarms. */
  readonly alertEmail?: string;

  /** A Honeycomb marker on each deploy; false turns it off. @default {} */
  readonly deployMarker?: DeployMarkerOptions | false;

  /** nodejs22.x or nodejs24.x for the pipeline's functions. @default nodejs24.x */
  readonly runtime?: lambda.Runtime;
  /** @default arm64 */
  readonly architecture?: lambda.Architecture;
  /** The layer zip built by `npm run build`. @default <package>/dist/layer.zip */
  readonly layerZipPath?: string;
  /** Retention of the pipeline functions' logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Alarm when the oldest unprocessed record is older than this. @default 5 minutes */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /** Where alarms notify. @default the alert topic */
  readonly alarmTopic?: sns.ITopic;
  /** Keep the ledger table, the key and the queues when the stack is destroyed. @default true */
  readonly retainData?: boolean;
}

export interface DeployMarkerOptions {
  /** @default "deploy <stack name>" */
  readonly message?: string;
  /** A link shown on the marker, e.g. the commit or the pipeline run. */
  readonly url?: string;
  /** Dataset of the marker, or `__all__` for the environment. @default the pipeline's dataset */
  readonly dataset?: string;
  /** Changes on every deploy so CloudFormation updates the marker, e.g. a commit SHA. @default the synth time */
  readonly deployId?: string;
}

export interface InstrumentOptions {
  /** Default `genops.team` of the function's spans (GOVERNANCE_TEAM). */
  readonly team?: string;
  /** GOVERNANCE_PROJECT */
  readonly project?: string;
  /** GOVERNANCE_ENVIRONMENT */
  readonly environment?: string;
  /** More default context fields, e.g. `{ cost_center: 'cc-42' }` → GOVERNANCE_CONTEXT_COST_CENTER. */
  readonly context?: Record<string, string>;
  /** GOVERNANCE_EXTRACT rules, e.g. `customer_id=claim:sub;feature=header:x-feature`. */
  readonly extract?: string;
  /**
   * Let `governance.checkBudget()` read the ledger (GetItem and Query on it only). `enforce` sets
   * GOVERNANCE_BUDGET_ENFORCE. Needs a pipeline with budgets. @default false
   */
  readonly budgetChecks?: boolean | { readonly enforce?: boolean };
}

export interface GovernanceAspectOptions extends InstrumentOptions {
  /** Which functions to instrument; Node.js functions on nodejs20.x or later are the candidates. @default all */
  readonly include?: (fn: lambda.Function) => boolean;
}
