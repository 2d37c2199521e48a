/**
 * The budget function, run on a schedule. For each budget: read the ledger's counters for the current period
 * (and the previous one for a grace time after a rollover, since late records still count into it), alert
 * once for each threshold crossed, write the budget's status for the layer's check, and send one snapshot
 * event. A failure in one budget or step does not stop the others; the run then ends with a BudgetRunError
 * naming each failure, so the function's error metric and alarm see it.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DynamoDBClient, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { budgetPeriod, nanosToUsd, readConsumption, statusItem, usdToNanos, type BudgetDefinition, type PeriodWindow } from '../../common/budgets/index.js';
import { HoneycombBatchClient } from '../../common/honeycomb/batch-client.js';
import { honeycombKeys } from '../../common/honeycomb/settings.js';
import type { BatchEvent } from '../../common/honeycomb/types.js';
import { forEachLimit } from '../../common/async.js';
import { VERSION } from '../../common/version.js';
import { Alerts, type AlertOutcome } from './alerts.js';
import type { BudgetCheckerConfig } from './config.js';
import { BudgetRunError } from './errors.js';
import { MarkerClient } from '../../common/honeycomb/markers.js';
import { AlertNotifier } from './notifier.js';
import { sendSnapshots, snapshotEvent, utilizationPct } from './snapshots.js';

const SERVICE_NAME = 'lambda-governance-budget';
/** Without a Lambda context (local runs), a run gets this long. */
const DEFAULT_RUN_MS = 60_000;
const BUDGETS_IN_PARALLEL = 8;

export interface BudgetRunSummary {
  runId: string;
  budgets: { id: string; periodKey: string; consumedUsd: number; limitUsd: number; utilizationPct: number; events: number }[];
  alerts: { budgetId: string; periodKey: string; threshold: number; outcome: AlertOutcome }[];
  snapshotsSent: number;
  failures: string[];
}

export interface BudgetCheckerOptions {
  /** The clock periods and leases are computed with (tests move it across period boundaries). */
  now?: () => number;
}

export type BudgetChecker = ((event?: unknown, context?: Context) => Promise<BudgetRunSummary>) & { lastSummary?: BudgetRunSummary };

const crossed = (consumedNanos: bigint, budget: BudgetDefinition, threshold: number): boolean =>
  Number(consumedNanos) * 100 >= threshold * usdToNanos(budget.limitUsd);

export function createBudgetChecker(config: BudgetCheckerConfig, options: BudgetCheckerOptions = {}): BudgetChecker {
  const now = options.now ?? Date.now;
  const userAgent = `lambda-governance-budget/${VERSION}`;
  const dynamo = new DynamoDBClient({ ...(config.region && { region: config.region }), maxAttempts: 3 });
  const keys = honeycombKeys(config, config.region);
  const batch = new HoneycombBatchClient(config.apiHost, config.dataset, keys, userAgent);
  const markers = config.markers ? new MarkerClient(config.apiHost, config.markerDataset, keys, userAgent, config.requestTimeoutMs) : undefined;
  const notifier = config.topicArn === undefined ? undefined : new AlertNotifier(config.topicArn, config.region);
  const query = (input: Record<string, unknown>) => dynamo.send(new QueryCommand(input as never)) as Promise<{ Items?: never[]; LastEvaluatedKey?: never }>;

  const checker: BudgetChecker = async (_event, context) => {
    const started = Date.now();
    const deadline = started + (context ? context.getRemainingTimeInMillis() - 1_000 : DEFAULT_RUN_MS);
    const runId = randomUUID();
    const alerts = new Alerts({ client: dynamo, table: config.table, ...(markers && { markers }), ...(notifier && { notifier }), leaseMs: config.alertLeaseMs, now, runId });
    const at = now();
    const summary: BudgetRunSummary = { runId, budgets: [], alerts: [], snapshotsSent: 0, failures: [] };
    const snapshots: BatchEvent[] = [];
    const fail = (budget: BudgetDefinition, window: PeriodWindow, step: string, error: unknown): void => {
      summary.failures.push(`${budget.id} ${window.key} ${step}: ${(error as Error).name}: ${(error as Error).message}`);
    };

    await forEachLimit(config.budgets, BUDGETS_IN_PARALLEL, async (budget) => {
      const current = budgetPeriod(budget, at);
      const windows = at - current.startMs < config.rolloverGraceMs ? [budgetPeriod(budget, current.startMs - 1), current] : [current];
      for (const window of windows) {
        let consumption;
        try {
          consumption = await readConsumption(query, config.table, budget.id, window.key);
        } catch (error) {
          fail(budget, window, 'reading the ledger', error);
          continue;
        }
        for (const threshold of budget.thresholds) {
          if (!crossed(consumption.nanos, budget, threshold)) break;
          try {
            const outcome = await alerts.ensure({ budget, window, threshold, consumedNanos: consumption.nanos }, deadline);
            summary.alerts.push({ budgetId: budget.id, periodKey: window.key, threshold, outcome });
          } catch (error) {
            fail(budget, window, `alert at ${threshold}%`, error);
          }
        }
        if (window !== current) continue;
        const consumedUsd = nanosToUsd(consumption.nanos);
        summary.budgets.push({ id: budget.id, periodKey: window.key, consumedUsd, limitUsd: budget.limitUsd, utilizationPct: utilizationPct(consumedUsd, budget.limitUsd), events: consumption.events });
        snapshots.push(snapshotEvent({ budget, window, consumedNanos: consumption.nanos, events: consumption.events }, SERVICE_NAME, at));
        try {
          // Overlapping runs: an older view never replaces a newer one.
          await dynamo.send(new PutItemCommand({
            TableName: config.table, Item: statusItem({ definition: budget, periodKey: window.key, consumedNanos: consumption.nanos, updatedAt: at }) as Record<string, AttributeValue>,
            ConditionExpression: 'attribute_not_exists(pk) OR updatedAt <= :at', ExpressionAttributeValues: { ':at': { N: String(at) } },
          }));
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') fail(budget, window, 'writing the status', error);
        }
      }
    });

    const snapshotFailures = await sendSnapshots(batch, snapshots, deadline, config.requestTimeoutMs);
    summary.snapshotsSent = snapshotFailures.length === 0 ? snapshots.length : 0;
    summary.failures.push(...snapshotFailures);
    summary.budgets.sort((a, b) => a.id.localeCompare(b.id));
    checker.lastSummary = summary;
    console.log(JSON.stringify({
      level: summary.failures.length === 0 ? 'INFO' : 'ERROR', message: 'budget run', durationMs: Date.now() - started,
      budgets: summary.budgets.length, alertsSent: summary.alerts.filter((a) => a.outcome === 'sent').length, snapshotsSent: summary.snapshotsSent, failures: summary.failures,
    }));
    if (summary.failures.length > 0) throw new BudgetRunError(summary.failures);
    return summary;
  };
  return checker;
}
