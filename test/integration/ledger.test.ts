/**
 * The budget ledger is exact: whatever Kinesis and Lambda do to the aggregator's batches (whole batches
 * redelivered, replays from a failed sequence number, two aggregators on one shard's records in any order and
 * at once, a process dying between any two DynamoDB writes), each budget's counters hold the sum of the
 * accepted spans' costs, to the nano-dollar. Real parts: governed invocations through the layer, kinesalite,
 * dynalite, the Honeycomb and SQS stand-ins, and the aggregator handler itself.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { usdToNanos } from '../../common/budgets/index.js';
import { readAggregatorConfig } from '../../functions/aggregator/config.js';
import { createAggregator, type AggregatorHandler } from '../../functions/aggregator/handler.js';
import { Ledger, type LedgerRecord } from '../../functions/aggregator/ledger.js';
import { DynamoCrashProxy, LocalDynamoDB } from '../../scripts/local/dynamodb.js';
import { Pipeline, type Scenario } from '../support/pipeline.js';
import { lambdaContext } from '../support/runtime.js';

const SHARD = 'shardId-000000000000';
const BUDGETS = [
  { id: 'everything', limitUsd: 10, period: 'daily' },
  { id: 'ai-eng', limitUsd: 50, period: 'monthly', match: { team: 'ai-eng' } },
  { id: 'haiku-checkout', limitUsd: 5, period: 'weekly', timeZone: 'America/New_York', match: { model: 'claude-haiku-4', project: ['checkout', 'search'] } },
  { id: 'nobody', limitUsd: 1, period: 'daily', match: { team: 'nobody' } },
];
const MATCHING = ['everything', 'ai-eng', 'haiku-checkout'];

let pipeline: Pipeline;
let dynamo: LocalDynamoDB;
let proxy: DynamoCrashProxy;
let s: Scenario;
let table: string;
let tables = 0;
let records: KinesisStreamRecord[];
/** Sum of the nano-USD charged by the produced spans. */
let spent: bigint;

beforeAll(async () => {
  pipeline = await Pipeline.start();
  dynamo = await LocalDynamoDB.start();
  proxy = await DynamoCrashProxy.start(dynamo.url);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await proxy.stop();
  await dynamo.stop();
  await pipeline.stop();
});
beforeEach(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  proxy.heal();
  s = await pipeline.scenario();
  table = `ledger-${++tables}`;
  await dynamo.createLedgerTable(table);
});
afterEach(async () => {
  await s.stop();
  vi.restoreAllMocks();
});

function aggregator(env: Record<string, string> = {}): AggregatorHandler {
  return createAggregator(readAggregatorConfig(s.env({ LEDGER_TABLE: table, GOVERNANCE_BUDGETS: JSON.stringify(BUDGETS), ...env })));
}

/** `count` governed invocations on the stream, read back as the records Lambda would hand the aggregator. */
async function produce(count: number): Promise<void> {
  const produced = await s.produce(count);
  spent = produced.reduce((sum, p) => sum + BigInt(usdToNanos(p.cost)), 0n);
  const arn = `arn:aws:kinesis:us-east-1:123456789012:stream/${s.stream}`;
  records = (await pipeline.kinesis.readAll(s.stream)).map((r) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber,
      data: Buffer.from(r.data).toString('base64'), approximateArrivalTimestamp: Date.now() / 1000,
    },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${SHARD}:${r.sequenceNumber}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/aggregator', awsRegion: 'us-east-1', eventSourceARN: arn,
  }));
  expect(records).toHaveLength(count);
}

const batch = (from: number, to: number): KinesisStreamEvent => ({ Records: records.slice(from, to) });

/** Index (in `records`) Lambda resumes from after this response, or undefined when the batch is done. */
function resumeIndex(response: { batchItemFailures: { itemIdentifier: string }[] }): number | undefined {
  const failure = response.batchItemFailures[0];
  return failure === undefined ? undefined : records.findIndex((r) => r.kinesis.sequenceNumber === failure.itemIdentifier);
}

/** Runs [from, to) the way Lambda does: invoke, and replay from the reported failure point until done. */
async function untilDone(handler: AggregatorHandler, from: number, to: number): Promise<void> {
  for (let start: number | undefined = from, rounds = 0; start !== undefined; rounds++) {
    expect(rounds, 'the batch keeps failing').toBeLessThan(20);
    start = resumeIndex(await handler(batch(start, to), lambdaContext()));
  }
}

async function expectExactLedger(): Promise<void> {
  for (const id of MATCHING) expect(await dynamo.budgetNanos(table, id), `budget ${id}`).toBe(spent);
  expect(await dynamo.budgetNanos(table, 'nobody')).toBe(0n);
}

describe('budget ledger', () => {
  it('counts every span once through the event source mapping, with Honeycomb failures forcing replays', async () => {
    await produce(40);
    // Enough 503s to outlast a 2-second invocation's retries: some batches end with a partial batch response.
    pipeline.honeycomb.injectFaults([{ kind: 'perEvent', status: 500, times: 6 }, { kind: 'status', status: 503, times: 12 }]);
    await s.run({ env: { LEDGER_TABLE: table, GOVERNANCE_BUDGETS: JSON.stringify(BUDGETS) }, esm: { timeoutMs: 2_000 } });
    expect(s.responses.some((r) => r.batchItemFailures.length > 0), 'some batch was replayed from a failure point').toBe(true);
    await expectExactLedger();
  });

  it('counts whole batches delivered twice, and the whole shard again, once', async () => {
    await produce(30);
    const handler = aggregator();
    for (let i = 0; i < 30; i += 10) {
      await untilDone(handler, i, i + 10);
      await untilDone(handler, i, i + 10);
    }
    await untilDone(handler, 0, 30);
    expect(handler.lastSummary).toMatchObject({ ledgerCharged: 0, ledgerAlreadyCharged: 30 });
    await expectExactLedger();
  });

  it('counts a replay from a failed sequence number once, with batch boundaries that differ from the first delivery', async () => {
    await produce(30);
    const handler = aggregator();
    await untilDone(handler, 0, 12);
    // Lambda resumes at record 7 after a failure there, then bisects what follows differently.
    await untilDone(handler, 7, 20);
    await untilDone(handler, 15, 23);
    await untilDone(handler, 20, 30);
    await expectExactLedger();
  });

  it('counts once when two aggregators take one shard\'s records in opposite orders, at the same time', async () => {
    await produce(48);
    const a = aggregator();
    const b = aggregator();
    // Overlapping windows of uneven sizes: A walks forwards, B backwards, and both also replay the same batch.
    const windows: [number, number][] = [[0, 9], [5, 17], [17, 18], [12, 30], [29, 41], [40, 48], [0, 48]];
    await Promise.all([
      (async () => { for (const [from, to] of windows) await untilDone(a, from, to); })(),
      (async () => { for (const [from, to] of [...windows].reverse()) await untilDone(b, from, to); })(),
      untilDone(a, 20, 36), untilDone(b, 20, 36),
    ]);
    await expectExactLedger();
  });

  describe('a process that dies between two ledger writes', () => {
    /** DynamoDB requests one clean delivery of records [0, 8) makes (all three budgets match each record):
     * intent records and state, 8 claims, ready, 3 counter ADDs, done. */
    const WRITES = 2 + 8 + 1 + 3 + 1;

    it(`makes ${WRITES} requests for a batch of 8 records charged to 3 budgets`, async () => {
      await produce(8);
      proxy.crashAfter(Infinity);
      await untilDone(aggregator(), 0, 8);
      expect(proxy.requests).toBe(WRITES);
      await expectExactLedger();
    });

    for (const applyLast of [false, true]) {
      it(`is exact after dying at every request${applyLast ? ' (the last write landed, its answer lost)' : ''}, then replays from elsewhere`, async () => {
        await produce(16);
        for (let allow = 0; allow < WRITES; allow++) {
          // A fresh ledger per crash point; the stream's records stay the same.
          table = `ledger-${++tables}`;
          await dynamo.createLedgerTable(table);
          const dying = aggregator({ AGGREGATOR_LEDGER_CONCURRENCY: '1' });
          proxy.crashAfter(allow, { applyLast });
          const response = await dying(batch(0, 8), lambdaContext());
          expect(resumeIndex(response), `crash after ${allow}: the batch must be retried`).toBe(0);
          proxy.heal();
          const fresh = aggregator();
          // The retry does not look like the first delivery: an overlapping batch comes first, then halves.
          await untilDone(fresh, 4, 12);
          await untilDone(fresh, 0, 4);
          await untilDone(aggregator(), 8, 16);
          for (const id of MATCHING) expect(await dynamo.budgetNanos(table, id), `crash after ${allow} requests, budget ${id}`).toBe(spent);
        }
      });
    }
  });

  it('leaves records it could not charge for the replay, and delivers nothing of them yet', async () => {
    await produce(10);
    const handler = aggregator();
    proxy.crashAfter(3);
    const response = await handler(batch(0, 10), lambdaContext());
    expect(resumeIndex(response)).toBe(0);
    expect(handler.lastSummary).toMatchObject({ events: 30, accepted: 0 });
    expect(s.arrived()).toHaveLength(0);
    proxy.heal();
    await untilDone(handler, 0, 10);
    expect(s.arrived()).toHaveLength(30);
    await expectExactLedger();
  });

  it('splits a batch too large for one DynamoDB item into several intents, still exactly once', async () => {
    // 2,000 records charging three budgets each: ~0.5 MB of charges, more than one 400 KB item holds.
    const records: LedgerRecord[] = Array.from({ length: 2_000 }, (_, i) => ({
      index: i, id: `big/shardId-000000000000:${String(4.9e55 + i * 1e40).padStart(56, '0')}-${i}`, shard: 'big/shardId-000000000000',
      charges: new Map(['C#a#2026-11-21', 'C#b#2026-11', 'C#c#2026-W47'].map((counter) => [counter, { nanos: 1_000 + i, events: 1 }])),
    }));
    const expected = BigInt(records.reduce((sum, r) => sum + 1_000 + r.index, 0));
    const ledger = new Ledger({ table, claimTtlSeconds: 3600, concurrency: 32 });
    try {
      const first = await ledger.apply(records, Date.now() + 30_000);
      expect(first).toMatchObject({ charged: 2_000, alreadyCharged: 0 });
      expect(first.failedFrom).toBeUndefined();
      const again = await ledger.apply(records.slice(500, 1_700), Date.now() + 30_000);
      expect(again).toMatchObject({ charged: 0, alreadyCharged: 1_200 });
      for (const budget of ['a', 'b', 'c']) expect(await dynamo.budgetNanos(table, budget)).toBe(expected);
      // dynalite does not enforce DynamoDB's 400 KB item limit, so check the intents' sizes here.
      const intents = (await dynamo.scan(table)).filter((item) => item.pk!.S!.startsWith('I#'));
      expect(intents.filter((item) => item.sk!.S === 'records').length).toBeGreaterThanOrEqual(3);
      for (const intent of intents) expect(JSON.stringify(intent).length).toBeLessThan(400_000);
    } finally {
      ledger.destroy();
    }
  });
});

describe('aggregator configuration for budgets', () => {
  it('fails at init naming LEDGER_TABLE when budgets come without a table, and names the budget and field of a wrong one', () => {
    expect(() => readAggregatorConfig(s.env({ GOVERNANCE_BUDGETS: JSON.stringify(BUDGETS) }))).toThrow(/LEDGER_TABLE/);
    expect(() => readAggregatorConfig(s.env({ LEDGER_TABLE: 'ledger', GOVERNANCE_BUDGETS: '[{"id":"x","limitUsd":-1,"period":"daily"}]' })))
      .toThrow(/GOVERNANCE_BUDGETS: budget "x": limitUsd/);
    expect(() => readAggregatorConfig(s.env({ LEDGER_TABLE: 'ledger' }))).toThrow(/GOVERNANCE_BUDGETS/);
  });
});
