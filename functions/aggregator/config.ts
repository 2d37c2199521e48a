/**
 * The aggregator's settings, read once at init. A wrong value throws a ConfigurationError naming the variable;
 * an unknown AGGREGATOR_* variable is rejected as a likely typo.
 */
import { ConfigurationError, float, int, rejectUnknown, str, url, type Env } from '../../common/env.js';
import { readBudgets, type BudgetDefinition } from '../../common/budgets/index.js';
import { readHoneycombSettings, type HoneycombSettings } from '../../common/honeycomb/settings.js';

export interface AggregatorConfig extends HoneycombSettings {
  deadLetterQueueUrl: string;
  region?: string;
  /** 1 keeps every span; N keeps one trace in N (errors, blocked policies and costly calls always kept). */
  sampleRate: number;
  /** Spans costing at least this many USD are always kept. */
  keepCostUsd: number;
  /** Time kept back from the invocation's deadline to report the partial batch response. */
  deadlineMarginMs: number;
  /** Deadline of a single Honeycomb request. */
  requestTimeoutMs: number;
  /** Honeycomb batches in flight at once. */
  concurrency: number;
  /** Events per /1/batch request (the body is also kept under 5,000,000 bytes). */
  maxBatchEvents: number;
  /** Budget accounting, when budgets are defined. */
  ledger?: LedgerConfig;
}

export interface LedgerConfig {
  table: string;
  budgets: BudgetDefinition[];
  claimTtlSeconds: number;
  concurrency: number;
}

const KNOWN = new Set([
  'AGGREGATOR_DEAD_LETTER_QUEUE_URL', 'AGGREGATOR_SAMPLE_RATE', 'AGGREGATOR_KEEP_COST_USD', 'AGGREGATOR_DEADLINE_MARGIN_MS',
  'AGGREGATOR_REQUEST_TIMEOUT_MS', 'AGGREGATOR_CONCURRENCY', 'AGGREGATOR_MAX_BATCH_EVENTS', 'AGGREGATOR_SECRET_TTL_SECONDS',
  'AGGREGATOR_LEDGER_CLAIM_TTL_HOURS', 'AGGREGATOR_LEDGER_CONCURRENCY',
]);

/** Budgets and LEDGER_TABLE come together: one without the other is a mistake worth failing init for. */
function ledger(env: Env): LedgerConfig | undefined {
  const budgets = readBudgets(env);
  const table = str(env, 'LEDGER_TABLE');
  if (budgets.length === 0 && table === undefined) return undefined;
  if (table === undefined) throw new ConfigurationError('LEDGER_TABLE', 'is required when budgets are defined (the DynamoDB table budget spend is counted in)');
  if (budgets.length === 0) throw new ConfigurationError('GOVERNANCE_BUDGETS', 'LEDGER_TABLE is set but no budgets are defined (set GOVERNANCE_BUDGETS or GOVERNANCE_BUDGETS_FILE)');
  return {
    table, budgets,
    // Claims must outlive every replay: the stream's retention (24 h by default, up to 365 days) plus a margin.
    claimTtlSeconds: int(env, 'AGGREGATOR_LEDGER_CLAIM_TTL_HOURS', 192, 25, 24 * 366) * 3600,
    concurrency: int(env, 'AGGREGATOR_LEDGER_CONCURRENCY', 32, 1, 256),
  };
}

export function readAggregatorConfig(env: Env): AggregatorConfig {
  rejectUnknown(env, 'AGGREGATOR_', KNOWN);
  const honeycomb = readHoneycombSettings(env, int(env, 'AGGREGATOR_SECRET_TTL_SECONDS', 300, 0, 86_400) * 1000);
  const deadLetterQueueUrl = str(env, 'AGGREGATOR_DEAD_LETTER_QUEUE_URL');
  if (!deadLetterQueueUrl) throw new ConfigurationError('AGGREGATOR_DEAD_LETTER_QUEUE_URL', 'is required: records that can never be delivered go there');
  url('AGGREGATOR_DEAD_LETTER_QUEUE_URL', deadLetterQueueUrl);
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  const ledgerConfig = ledger(env);
  return {
    ...honeycomb,
    deadLetterQueueUrl,
    ...(region && { region }),
    sampleRate: int(env, 'AGGREGATOR_SAMPLE_RATE', 1, 1, 1_000_000),
    keepCostUsd: float(env, 'AGGREGATOR_KEEP_COST_USD', 0.05, 0, 1_000_000),
    deadlineMarginMs: int(env, 'AGGREGATOR_DEADLINE_MARGIN_MS', 1_000, 0, 60_000),
    requestTimeoutMs: int(env, 'AGGREGATOR_REQUEST_TIMEOUT_MS', 10_000, 100, 900_000),
    concurrency: int(env, 'AGGREGATOR_CONCURRENCY', 4, 1, 64),
    maxBatchEvents: int(env, 'AGGREGATOR_MAX_BATCH_EVENTS', 2_000, 1, 100_000),
    ...(ledgerConfig && { ledger: ledgerConfig }),
  };
}
