/**
 * The budget function's settings, read once at init; a wrong value throws a ConfigurationError naming the
 * variable, and an unknown BUDGET_* variable is rejected as a likely typo.
 */
import { readBudgets, type BudgetDefinition } from '../../common/budgets/index.js';
import { bool, ConfigurationError, int, rejectUnknown, str, type Env } from '../../common/env.js';
import { readHoneycombSettings, type HoneycombSettings } from '../../common/honeycomb/settings.js';

/** `dataset` is where snapshot events go. */
export interface BudgetCheckerConfig extends HoneycombSettings {
  table: string;
  budgets: BudgetDefinition[];
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
  const honeycomb = readHoneycombSettings(env, 300_000);
  const markers = str(env, 'BUDGET_MARKERS') === undefined ? true : bool(env, 'BUDGET_MARKERS');
  if (markers && honeycomb.apiKey && !honeycomb.configKey) {
    throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'is required for budget markers with HONEYCOMB_API_KEY (ingest keys cannot create markers); or set BUDGET_MARKERS=false');
  }
  const topicArn = str(env, 'BUDGET_ALERT_TOPIC_ARN');
  if (topicArn !== undefined && !TOPIC_ARN.test(topicArn)) throw new ConfigurationError('BUDGET_ALERT_TOPIC_ARN', `is not an SNS topic ARN: "${topicArn}"`);
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  return {
    table, budgets, ...honeycomb,
    markerDataset: str(env, 'BUDGET_MARKER_DATASET') ?? honeycomb.dataset, markers,
    ...(topicArn && { topicArn }), ...(region && { region }),
    rolloverGraceMs: int(env, 'BUDGET_ROLLOVER_GRACE_MINUTES', 60, 0, 7 * 24 * 60) * 60_000,
    alertLeaseMs: int(env, 'BUDGET_ALERT_LEASE_SECONDS', 300, 30, 3_600) * 1000,
    requestTimeoutMs: int(env, 'BUDGET_REQUEST_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}
