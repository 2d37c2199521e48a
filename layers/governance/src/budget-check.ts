/**
 * governance.checkBudget(): before an expensive call, how much of a budget is spent. It reads the budget's
 * status (definition, written by the budget function) and the live counters of the current period from the
 * ledger table, caches both for a few seconds, and decides allowed / warning / blocked. The decision is
 * recorded on the span as a policy (genops.policy.*) and the budget's numbers (genops.budget.*). A check that
 * cannot read the ledger fails open with `warning`. Only an exhausted budget with enforcement on throws,
 * and then a BudgetExceededError the caller expects.
 */
import { budgetPeriod, nanosToUsd, readConsumption, statusFromItem, statusKey, type BudgetStatus } from '../../../common/budgets/index.js';
import { abortAfter } from '../../../common/async.js';
import { loadAwsModule } from '../../../common/aws/load-sdk.js';
import type { BudgetCheckConfig } from './config.js';
import { BudgetExceededError } from './errors.js';
import type { PolicyResult } from './types.js';

export interface BudgetCheckOptions {
  /** What the coming call is expected to cost: blocked already when it would overrun the budget. */
  estimatedCostUsd?: number;
  /** Overrides GOVERNANCE_BUDGET_ENFORCE for this call. */
  enforce?: boolean;
}

export interface BudgetDecision {
  budgetId: string;
  result: PolicyResult;
  reason: string;
  limitUsd?: number;
  consumedUsd?: number;
  utilizationPct?: number;
  periodKey?: string;
  /** True when the status came from the cache. */
  cached: boolean;
}

interface Snapshot { status: BudgetStatus; consumedNanos: bigint; periodKey: string }

interface DynamoModule {
  DynamoDBClient: new (config: { region?: string; maxAttempts?: number }) => { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
  GetItemCommand: new (input: unknown) => unknown;
  QueryCommand: new (input: unknown) => unknown;
}

const usd = (n: number): string => `$${n.toFixed(2)}`;

export class BudgetStatusReader {
  private client?: InstanceType<DynamoModule['DynamoDBClient']>;
  private sdk?: DynamoModule;
  private readonly cache = new Map<string, { expiresAt: number; value: Promise<Snapshot | undefined> }>();

  public constructor(private readonly config: BudgetCheckConfig, private readonly region: string | undefined, private readonly now: () => number = Date.now) {}

  /** The budget's status and current spend; undefined when the budget function has not written it yet. */
  public read(budgetId: string): { value: Promise<Snapshot | undefined>; cached: boolean } {
    const hit = this.cache.get(budgetId);
    if (hit !== undefined && hit.expiresAt > this.now()) return { value: hit.value, cached: true };
    const value = this.fetch(budgetId);
    this.cache.set(budgetId, { expiresAt: this.now() + this.config.cacheMs, value });
    // A failed read is not cached: the next check tries again.
    value.catch(() => this.cache.delete(budgetId));
    return { value, cached: false };
  }

  private async fetch(budgetId: string): Promise<Snapshot | undefined> {
    this.sdk ??= loadAwsModule<DynamoModule>('@aws-sdk/client-dynamodb');
    this.client ??= new this.sdk.DynamoDBClient({ ...(this.region && { region: this.region }), maxAttempts: 2 });
    const { sdk, client } = this;
    const request = abortAfter(this.config.timeoutMs);
    try {
      const { pk, sk } = statusKey(budgetId);
      const out = (await client.send(new sdk.GetItemCommand({ TableName: this.config.table, Key: { pk: { S: pk }, sk: { S: sk } } }), { abortSignal: request.signal })) as { Item?: Record<string, { S?: string; N?: string }> };
      if (out.Item === undefined) return undefined;
      const status = statusFromItem(out.Item);
      const periodKey = budgetPeriod(status.definition, this.now()).key;
      const query = (input: Record<string, unknown>) => client.send(new sdk.QueryCommand(input), { abortSignal: request.signal }) as Promise<{ Items?: never[] }>;
      const consumption = await readConsumption(query, this.config.table, budgetId, periodKey);
      return { status, consumedNanos: consumption.nanos, periodKey };
    } finally {
      request.cancel();
    }
  }
}

/** Decides, never throws: a read failure or a missing status is a warning that names the cause. */
export async function decide(reader: BudgetStatusReader, config: BudgetCheckConfig, budgetId: string, options: BudgetCheckOptions): Promise<BudgetDecision> {
  const { value, cached } = reader.read(budgetId);
  let snapshot: Snapshot | undefined;
  try {
    snapshot = await value;
  } catch (error) {
    const cause = (error as Error).name === 'AbortError' ? `no answer within ${config.timeoutMs} ms` : `${(error as Error).name}: ${(error as Error).message}`;
    return { budgetId, result: 'warning', reason: `budget status unavailable (${cause}); allowed`, cached };
  }
  if (snapshot === undefined) {
    return { budgetId, result: 'warning', reason: `budget ${budgetId} has no status yet (is it defined, and has the budget function run?); allowed`, cached };
  }
  const { definition } = snapshot.status;
  const consumedUsd = nanosToUsd(snapshot.consumedNanos);
  const utilizationPct = Math.round((consumedUsd / definition.limitUsd) * 10_000) / 100;
  const estimate = options.estimatedCostUsd !== undefined && Number.isFinite(options.estimatedCostUsd) && options.estimatedCostUsd > 0 ? options.estimatedCostUsd : 0;
  const warnPct = config.warnPct ?? [...definition.thresholds].reverse().find((t) => t < 100) ?? 80;
  const spent = `${usd(consumedUsd)} of ${usd(definition.limitUsd)} (${utilizationPct}%) in ${definition.period} ${snapshot.periodKey}`;
  const numbers = { limitUsd: definition.limitUsd, consumedUsd, utilizationPct, periodKey: snapshot.periodKey, cached };
  if (consumedUsd >= definition.limitUsd) return { budgetId, result: 'blocked', reason: `budget exhausted: ${spent}`, ...numbers };
  if (estimate > 0 && consumedUsd + estimate > definition.limitUsd) {
    return { budgetId, result: 'blocked', reason: `the call's estimated ${usd(estimate)} would overrun the budget: ${spent}`, ...numbers };
  }
  if (utilizationPct >= warnPct) return { budgetId, result: 'warning', reason: `at or above ${warnPct}%: ${spent}`, ...numbers };
  return { budgetId, result: 'allowed', reason: spent, ...numbers };
}

export function exceeded(decision: BudgetDecision): BudgetExceededError {
  return new BudgetExceededError({
    budgetId: decision.budgetId, limitUsd: decision.limitUsd ?? 0, consumedUsd: decision.consumedUsd ?? 0, periodKey: decision.periodKey ?? '', reason: decision.reason,
  });
}
