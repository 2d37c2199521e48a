/**
 * The budget function's settings, read once at init; a wrong value throws a ConfigurationError naming the
 * variable, and an unknown BUDGET_* variable is rejected as a likely typo.
 */
import { readBudgets, type BudgetDefinition } from '../../common/budgets/index.js';
import { bool, ConfigurationError, int, rejectUnknown, str, url, type Env } from '../../common/env.js';
import { US_API_HOST } from '../../common/honeycomb/types.js';

export interface BudgetCheckerConfig {
  table: string;
  budgets: BudgetDefinition[];
  /** Exactly one of apiKey / secretId; configKey only with apiKey (a secret carries its own). */
  apiKey?: string;
  configKey?: string;
  secretId?: string;
  secretTtlMs: number;
  apiHost: URL;
  /** Snapshot events go here. */
  dataset: string;
  /** Markers go here (a dataset, or __all__ for environment-wide markers). */
  markerDataset: string;
  markers: boolean;
  topicArn?: string;
  region?: string;
  /** After a period ends, its thresholds are still checked this long (late records still count into it). */
  rolloverGraceMs: number;
  /** How long a run owns an alert it is sending; another run may finish it after that. Above the timeout. */
  alertLeaseMs: number;
  requestTimeoutMs: number;
}

const KNOWN = new Set(['BUDGET_ALERT_TOPIC_ARN', 'BUDGET_MARKERS', 'BUDGET_MARKER_DATASET', 'BUDGET_ROLLOVER_GRACE_MINUTES', 'BUDGET_ALERT_LEASE_SECONDS', 'BUDGET_REQUEST_TIMEOUT_MS']);
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export function readBudgetCheckerConfig(env: Env): BudgetCheckerConfig {
  rejectUnknown(env, 'BUDGET_', KNOWN);
  const table = str(env, 'LEDGER_TABLE');
  if (table === undefined) throw new ConfigurationError('LEDGER_TABLE', 'is required: the DynamoDB table the aggregator counts budget spend in');
  const budgets = readBudgets(env);
  if (budgets.length === 0) throw new ConfigurationError('GOVERNANCE_BUDGETS', 'no budgets defined (set GOVERNANCE_BUDGETS or GOVERNANCE_BUDGETS_FILE)');
  const apiKey = str(env, 'HONEYCOMB_API_KEY');
  const secretId = str(env, 'HONEYCOMB_SECRET');
  const configKey = str(env, 'HONEYCOMB_CONFIG_KEY');
  if (apiKey && secretId) throw new ConfigurationError('HONEYCOMB_API_KEY', 'set either HONEYCOMB_API_KEY or HONEYCOMB_SECRET, not both');
  if (!apiKey && !secretId) throw new ConfigurationError('HONEYCOMB_SECRET', 'is required (the Secrets Manager secret holding the Honeycomb keys), or set HONEYCOMB_API_KEY');
  if (configKey && secretId) throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'comes from the secret when HONEYCOMB_SECRET is set; do not set both');
  const markers = str(env, 'BUDGET_MARKERS') === undefined ? true : bool(env, 'BUDGET_MARKERS');
  if (markers && apiKey && !configKey) {
    throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'is required for budget markers with HONEYCOMB_API_KEY (ingest keys cannot create markers); or set BUDGET_MARKERS=false');
  }
  const topicArn = str(env, 'BUDGET_ALERT_TOPIC_ARN');
  if (topicArn !== undefined && !TOPIC_ARN.test(topicArn)) throw new ConfigurationError('BUDGET_ALERT_TOPIC_ARN', `is not an SNS topic ARN: "${topicArn}"`);
  const dataset = str(env, 'HONEYCOMB_DATASET') ?? 'genops-ai';
  if (dataset.length > 255 || dataset.includes('/')) throw new ConfigurationError('HONEYCOMB_DATASET', `must be 1-255 characters without "/", got "${dataset}"`);
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  return {
    table, budgets,
    ...(apiKey && { apiKey }), ...(configKey && { configKey }), ...(secretId && { secretId }),
    secretTtlMs: 300_000,
    apiHost: url('HONEYCOMB_API_HOST', str(env, 'HONEYCOMB_API_HOST') ?? US_API_HOST),
    dataset, markerDataset: str(env, 'BUDGET_MARKER_DATASET') ?? dataset, markers,
    ...(topicArn && { topicArn }), ...(region && { region }),
    rolloverGraceMs: int(env, 'BUDGET_ROLLOVER_GRACE_MINUTES', 60, 0, 7 * 24 * 60) * 60_000,
    alertLeaseMs: int(env, 'BUDGET_ALERT_LEASE_SECONDS', 300, 30, 3_600) * 1000,
    requestTimeoutMs: int(env, 'BUDGET_REQUEST_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}
