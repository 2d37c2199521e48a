/**
 * Reading the ledger, for the budget function and the layer's budget check. Each side sends the commands with
 * its own DynamoDB client (the layer loads the SDK from the runtime); the shapes live here once.
 */
import { counterPk, statusKey } from './ledger-keys.js';
import type { BudgetDefinition } from './types.js';

type Attribute = { S?: string; N?: string };
type Item = Record<string, Attribute>;

/** Query input for every shard's counter of one budget period. */
export function counterQuery(table: string, budgetId: string, periodKey: string, exclusiveStartKey?: Item): Record<string, unknown> {
  return {
    TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: counterPk(budgetId, periodKey) } },
    ProjectionExpression: 'consumedNanos, events', ConsistentRead: true, ...(exclusiveStartKey && { ExclusiveStartKey: exclusiveStartKey }),
  };
}

export interface Consumption { nanos: bigint; events: number }

/** Sums a budget period's counters over every page of the query. */
export async function readConsumption(
  query: (input: Record<string, unknown>) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>, table: string, budgetId: string, periodKey: string,
): Promise<Consumption> {
  const total: Consumption = { nanos: 0n, events: 0 };
  let start: Item | undefined;
  do {
    const page = await query(counterQuery(table, budgetId, periodKey, start));
    for (const item of page.Items ?? []) {
      total.nanos += BigInt(item.consumedNanos?.N ?? '0');
      total.events += Number(item.events?.N ?? '0');
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return total;
}

/** What the budget function last saw of a budget; the layer takes the definition (limit, period) from it. */
export interface BudgetStatus {
  definition: BudgetDefinition;
  periodKey: string;
  consumedNanos: bigint;
  /** Unix milliseconds. */
  updatedAt: number;
}

export function statusItem(status: BudgetStatus): Item {
  const { pk, sk } = statusKey(status.definition.id);
  return {
    pk: { S: pk }, sk: { S: sk }, definition: { S: JSON.stringify(status.definition) }, periodKey: { S: status.periodKey },
    consumedNanos: { N: status.consumedNanos.toString() }, updatedAt: { N: String(status.updatedAt) },
  };
}

export function statusFromItem(item: Item): BudgetStatus {
  return {
    definition: JSON.parse(item.definition!.S!) as BudgetDefinition, periodKey: item.periodKey!.S!,
    consumedNanos: BigInt(item.consumedNanos!.N!), updatedAt: Number(item.updatedAt!.N),
  };
}
