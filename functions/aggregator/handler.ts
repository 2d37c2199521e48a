/**
 * The aggregator: a Kinesis batch of governance records → Honeycomb events, cost roll-ups and dead letters,
 * answered with a partial batch response. Order of work, and why:
 *   1. decode every record; what cannot be decoded becomes a dead letter (never a shard-blocking failure);
 *   2. convert spans to events, sample, and note each span's cost contribution;
 *   3. deliver the span events (leaving time for 5); the earliest record left undelivered is the failure point;
 *   4. dead-letter what belongs to records before that point (later ones will be replayed anyway);
 *   5. build roll-ups only from records before the failure point and deliver them, so a replay never counts
 *      a record into a delivered roll-up twice.
 * The response names the earliest record that must be retried; Lambda resumes the shard there.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { abortAfter } from '../../common/async.js';
import { HoneycombBatchClient } from '../../common/honeycomb/batch-client.js';
import { honeycombKeys } from '../../common/honeycomb/settings.js';
import { VERSION } from '../../common/version.js';
import type { AggregatorConfig } from './config.js';
import { DeadLetterQueue, type DeadLetter, type RecordSource } from './dead-letter.js';
import { deliver, type DeliveryOptions, type DeliveryResult } from './delivery.js';
import { BudgetChargeRules } from './budget-charges.js';
import { Ledger, type LedgerRecord } from './ledger.js';
import { isOversize, toOutgoing, type Outgoing } from './outgoing.js';
import { buildRollups } from './rollup.js';
import { Sampler } from './sampling.js';
import { transformRecords } from './transform.js';

/** Time kept for the roll-up request after the span events: at most this, or a quarter of the window. */
const ROLLUP_RESERVE_MS = 2_000;

export interface AggregationSummary {
  records: number;
  spans: number;
  events: number;
  sampledOut: number;
  rollups: number;
  accepted: number;
  deadLettered: number;
  requests: number;
  retries: number;
  /** Costed records charged to budgets by this invocation, and those found already charged. */
  ledgerCharged: number;
  ledgerAlreadyCharged: number;
  ledgerCalls: number;
  /** Sequence number Lambda will resume from, when not everything was done. */
  retryFrom?: string;
}

function sourceOf(record: KinesisStreamRecord): RecordSource {
  return {
    eventSourceARN: record.eventSourceARN, eventID: record.eventID, sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey, approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
  };
}

/** Where a record sits: stream name and shard, and its identity (shard and sequence number) across redeliveries. */
function ledgerRecord(record: KinesisStreamRecord, index: number, charges: LedgerRecord['charges']): LedgerRecord {
  const stream = record.eventSourceARN.slice(record.eventSourceARN.indexOf('/') + 1);
  const shardId = record.eventID.slice(0, record.eventID.indexOf(':'));
  return { index, id: `${stream}/${record.eventID}`, shard: `${stream}/${shardId}`, charges };
}

export type AggregatorHandler = ((event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>) & {
  /** The summary of the last invocation (for the local run and tests). */
  lastSummary?: AggregationSummary;
};

export function createAggregator(config: AggregatorConfig): AggregatorHandler {
  const client = new HoneycombBatchClient(config.apiHost, config.dataset, honeycombKeys(config, config.region), `lambda-governance-aggregator/${VERSION}`);
  const deadLetters = new DeadLetterQueue(config.deadLetterQueueUrl, config.region);
  const sampler = new Sampler(config.sampleRate, config.keepCostUsd);
  const budgets = config.ledger && new BudgetChargeRules(config.ledger.budgets);
  const ledger = config.ledger && new Ledger({ ...config.ledger, ...(config.region && { region: config.region }) });

  const handler: AggregatorHandler = async (event, context) => {
    const started = Date.now();
    const end = started + context.getRemainingTimeInMillis() - config.deadlineMarginMs;
    const records = event.Records;
    const letters: DeadLetter[] = [];
    const letter = (record: number, fields: Omit<DeadLetter, 'record' | 'source'>): void => {
      letters.push({ record, source: sourceOf(records[record]!), ...fields });
    };

    // 1-2. decode, convert and sample
    const { converted, rejected } = transformRecords(records, sampler, budgets);
    for (const { record, rejection: r, data } of rejected) letter(record, { code: r.code, reason: r.reason, ...(r.line !== undefined ? { line: r.line } : { data }) });
    for (const o of converted.oversize) letter(o.record, { code: o.code, reason: o.reason, event: o.event, dataset: config.dataset });

    // L. the budget ledger, with at most half the time
    let failedFrom = Infinity;
    const charged = { ledgerCharged: 0, ledgerAlreadyCharged: 0, ledgerCalls: 0 };
    if (ledger !== undefined && converted.charges.size > 0) {
      const outcome = await ledger.apply([...converted.charges].map(([i, charges]) => ledgerRecord(records[i]!, i, charges)), started + Math.max(0, end - started) / 2);
      Object.assign(charged, { ledgerCharged: outcome.charged, ledgerAlreadyCharged: outcome.alreadyCharged, ledgerCalls: outcome.calls });
      if (outcome.failedFrom !== undefined) {
        failedFrom = outcome.failedFrom;
        console.log(JSON.stringify({ level: 'WARN', message: 'budget ledger incomplete; records from the failure point will be replayed', error: outcome.error, retryFromRecord: failedFrom }));
      }
    }

    // 3. span events
    const options = (deadline: number): DeliveryOptions => ({
      deadline, requestTimeoutMs: config.requestTimeoutMs, concurrency: config.concurrency, maxBatchEvents: config.maxBatchEvents,
    });
    const reserve = Math.min(ROLLUP_RESERVE_MS, Math.max(0, end - started) / 4);
    const spans = await deliver(client, failedFrom === Infinity ? converted.events : converted.events.filter((e) => e.record < failedFrom), options(end - reserve));
    failedFrom = Math.min(failedFrom, spans.firstFailedRecord);
    const refused = (result: DeliveryResult): void => {
      for (const r of result.rejected) {
        letter(r.outgoing.record, { code: 'honeycomb-rejected', reason: r.reason, event: JSON.parse(r.outgoing.json) as DeadLetter['event'], dataset: config.dataset });
      }
    };
    refused(spans);

    // 4. dead letters for records before the failure point
    let deadLettered = 0;
    const sendLetters = async (due: DeadLetter[]): Promise<void> => {
      if (due.length === 0) return;
      const timeout = abortAfter(end + config.deadlineMarginMs / 2 - Date.now());
      const failed = await deadLetters.send(due, timeout.signal).finally(timeout.cancel);
      deadLettered += due.length - failed.length;
      for (const record of failed) failedFrom = Math.min(failedFrom, record);
    };
    await sendLetters(letters.filter((l) => l.record < failedFrom));
    const lettersSent = letters.length;

    // 5. roll-ups from records that are otherwise done
    const rollupEvents: Outgoing[] = [];
    for (const { event: rollup, record } of buildRollups(converted.contributions, failedFrom)) {
      const outgoing = toOutgoing(rollup, record);
      if (!isOversize(outgoing)) rollupEvents.push(outgoing);
    }
    const rollups = await deliver(client, rollupEvents, options(end));
    failedFrom = Math.min(failedFrom, rollups.firstFailedRecord);
    refused(rollups);
    await sendLetters(letters.slice(lettersSent).filter((l) => l.record < failedFrom));

    const retryFrom = failedFrom < records.length ? records[failedFrom]!.kinesis.sequenceNumber : undefined;
    const summary: AggregationSummary = {
      records: records.length, spans: converted.spans, events: converted.events.length, sampledOut: converted.sampledOut,
      rollups: rollupEvents.length, accepted: spans.accepted + rollups.accepted,
      deadLettered,
      requests: spans.requests + rollups.requests, retries: spans.retries + rollups.retries,
      ...charged,
      ...(retryFrom !== undefined && { retryFrom }),
    };
    handler.lastSummary = summary;
    console.log(JSON.stringify({ level: retryFrom === undefined ? 'INFO' : 'WARN', message: 'aggregated', durationMs: Date.now() - started, ...summary }));
    return { batchItemFailures: retryFrom === undefined ? [] : [{ itemIdentifier: retryFrom }] };
  };
  return handler;
}
