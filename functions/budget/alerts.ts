/**
 * One alert per budget, period and threshold: one Honeycomb marker and one SNS message, even when runs overlap,
 * are retried or die midway. The alert item in the ledger table is the record of what was done:
 *   claim    a run takes the alert (creating the item, or taking over one whose lease ran out and that was
 *            never finished); the message is fixed at first claim, so every run posts the same text;
 *   marker   posted once; its id is stored. A run taking over lists the dataset's markers first and adopts
 *            one with the alert's message, so a marker posted just before a crash is not posted again. If
 *            Honeycomb fails, SNS is still published and the run fails; the next run retries the marker;
 *   sns      published once; its message id is stored (on a FIFO topic SNS drops a repeat itself);
 *   sent     the alert is finished; no run touches it again.
 * Every step after the claim is conditioned on still holding it. The one gap: a run that dies after SNS
 * accepted the message and before the id was stored makes the next run publish again (same alertId).
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { alertKey, nanosToUsd, type BudgetDefinition, type PeriodWindow } from '../../common/budgets/index.js';
import type { Marker, MarkerClient } from '../../common/honeycomb/markers.js';
import type { AlertNotifier } from './notifier.js';

export interface Crossing {
  budget: BudgetDefinition;
  window: PeriodWindow;
  threshold: number;
  consumedNanos: bigint;
}

export type AlertOutcome = 'sent' | 'already-sent' | 'held-by-another-run';

export interface AlertDeps {
  client: DynamoDBClient;
  table: string;
  markers?: MarkerClient;
  notifier?: AlertNotifier;
  leaseMs: number;
  now: () => number;
  runId: string;
}

const usd = (n: number): string => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function alertMessage(c: Crossing): string {
  const spent = nanosToUsd(c.consumedNanos);
  return `Budget ${c.budget.id} crossed ${c.threshold}%: ${usd(spent)} of ${usd(c.budget.limitUsd)} (${c.budget.period} ${c.window.key})`;
}

const isConditionFailure = (error: unknown): boolean => (error as Error).name === 'ConditionalCheckFailedException';

export class Alerts {
  public constructor(private readonly deps: AlertDeps) {}

  /** Sends the crossing's alert unless it was sent or another run is sending it. */
  public async ensure(crossing: Crossing, deadline: number): Promise<AlertOutcome> {
    const { client, table, leaseMs, now, runId } = this.deps;
    const key = alertKey(crossing.budget.id, crossing.window.key, crossing.threshold);
    const Key = { pk: { S: key.pk }, sk: { S: key.sk } };
    const t = now();
    let previous: Record<string, AttributeValue> | undefined;
    try {
      const out = await client.send(new UpdateItemCommand({
        TableName: table, Key,
        UpdateExpression: 'SET #owner = :run, leaseUntil = :until, message = if_not_exists(message, :message), spentNanos = if_not_exists(spentNanos, :spent), createdAt = if_not_exists(createdAt, :now)',
        ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(sentAt) AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':run': { S: runId }, ':until': { N: String(t + leaseMs) }, ':now': { N: String(t) },
          ':message': { S: alertMessage(crossing) }, ':spent': { N: crossing.consumedNanos.toString() },
        },
        ReturnValues: 'ALL_OLD',
      }));
      previous = out.Attributes;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Finished, or another run holds it: the summary tells the two apart.
      const current = await client.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true, ProjectionExpression: 'sentAt' }));
      return current.Item?.sentAt === undefined ? 'held-by-another-run' : 'already-sent';
    }
    const message = previous?.message?.S ?? alertMessage(crossing);
    const record = async (name: string, value: AttributeValue): Promise<void> => {
      await client.send(new UpdateItemCommand({
        TableName: table, Key, UpdateExpression: `SET ${name} = :value`, ConditionExpression: '#owner = :run',
        ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':value': value, ':run': { S: runId } },
      }));
    };
    let markerError: unknown;
    try {
      if (this.deps.markers !== undefined && previous?.markerId === undefined) {
        let marker: Marker | undefined;
        try {
          marker = previous === undefined ? undefined : (await this.deps.markers.list(deadline)).find((m) => m.type === 'budget' && m.message === message);
          marker ??= await this.deps.markers.create({ message, type: 'budget', ...(crossing.budget.url && { url: crossing.budget.url }) }, deadline);
        } catch (error) {
          // Honeycomb's trouble must not keep the alert from on-call: SNS still goes out, the next run retries the marker.
          markerError = error;
        }
        if (marker !== undefined) await record('markerId', { S: marker.id });
      }
      if (this.deps.notifier !== undefined && previous?.snsMessageId === undefined) {
        const spent = nanosToUsd(BigInt(previous?.spentNanos?.N ?? crossing.consumedNanos.toString()));
        const id = await this.deps.notifier.publish({
          alertId: `${key.pk}#${key.sk}`, budgetId: crossing.budget.id, subject: message, text: message,
          details: {
            budgetId: crossing.budget.id, threshold: crossing.threshold, period: crossing.budget.period, periodKey: crossing.window.key,
            limitUsd: crossing.budget.limitUsd, consumedUsd: spent, utilizationPct: Math.round((spent / crossing.budget.limitUsd) * 10_000) / 100,
          },
        }, deadline);
        await record('snsMessageId', { S: id });
      }
      if (markerError !== undefined) throw markerError;
      await record('sentAt', { N: String(now()) });
      return 'sent';
    } catch (error) {
      if (isConditionFailure(error)) return 'held-by-another-run';
      // Let the next run retry at once rather than after the lease.
      await client.send(new UpdateItemCommand({
        TableName: table, Key, UpdateExpression: 'SET leaseUntil = :zero', ConditionExpression: '#owner = :run',
        ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':zero': { N: '0' }, ':run': { S: runId } },
      })).catch(() => undefined);
      throw error;
    }
  }
}
