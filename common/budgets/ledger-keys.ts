/**
 * The ledger table's items, shared by the aggregator (writes counters), the budget function (reads counters,
 * writes status and alert items) and the layer (reads status and counters). One table, keys `pk` and `sk`.
 * Money is counted in integer nano-USD so that DynamoDB's ADD and our sums are exact.
 */

/** A budget's spend in one period, per stream shard: the shard's writers never contend with other shards'. */
export const counterPk = (budgetId: string, periodKey: string): string => `C#${budgetId}#${periodKey}`;
/** What the budget function last computed for a budget, with its definition (the layer's enforcement reads it). */
export const statusKey = (budgetId: string): { pk: string; sk: string } => ({ pk: `S#${budgetId}`, sk: 'status' });
/** One threshold alert of one budget period. */
export const alertKey = (budgetId: string, periodKey: string, threshold: number): { pk: string; sk: string } => ({
  pk: `A#${budgetId}#${periodKey}`, sk: String(threshold),
});

export const NANOS_PER_USD = 1_000_000_000;

export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

export function nanosToUsd(nanos: bigint | number): number {
  const n = BigInt(nanos);
  return Number(n / 1_000_000_000n) + Number(n % 1_000_000_000n) / NANOS_PER_USD;
}
