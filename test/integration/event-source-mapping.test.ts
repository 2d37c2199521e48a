/**
 * The local Kinesis event source mapping against a real kinesalite and the real Kinesis client, with small
 * in-test handlers: each test pins one documented Lambda rule so that breaking the rule fails the test.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { LocalKinesis } from '../../scripts/local/kinesis.js';
import {
  EventSourceMapping, MAX_EVENT_BYTES, type EventSourceMappingOptions, type KinesisOnFailureRecord,
} from '../../scripts/local/event-source-mapping.js';

let kinesis: LocalKinesis;
let streamCounter = 0;
const started: EventSourceMapping[] = [];
/** ExplicitHashKeys landing in shard 0 and shard 1 of a two-shard stream. */
const SHARD_HASH = ['0', (2n ** 127n).toString()];

beforeAll(async () => {
  kinesis = await LocalKinesis.start();
});
afterAll(async () => {
  await kinesis.stop();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

async function newStream(shards = 1): Promise<string> {
  const name = `esm-${++streamCounter}`;
  await kinesis.createStream(name, shards);
  return name;
}

/** Puts `values` into one shard, in order; returns their sequence numbers. */
async function put(stream: string, values: (string | Buffer)[], shard = 0): Promise<string[]> {
  const out = await kinesis.client.send(new PutRecordsCommand({
    StreamName: stream,
    Records: values.map((v, i) => ({ Data: Buffer.isBuffer(v) ? v : Buffer.from(v), PartitionKey: `pk-${i}`, ExplicitHashKey: SHARD_HASH[shard] })),
  }));
  expect(out.FailedRecordCount ?? 0).toBe(0);
  return out.Records!.map((r) => r.SequenceNumber!);
}

const values = (event: KinesisStreamEvent): string[] => event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function mapping(stream: string, options: Omit<EventSourceMappingOptions, 'kinesis' | 'streamName'>): Promise<EventSourceMapping> {
  const esm = new EventSourceMapping({ kinesis: kinesis.client, streamName: stream, pollIntervalMs: 10, ...options });
  await esm.start();
  started.push(esm);
  return esm;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('event shape', () => {
  it('delivers records in the Kinesis event shape with a Lambda context', async () => {
    const stream = await newStream();
    const before = Date.now();
    const [seq] = await put(stream, ['hello']);
    const after = Date.now();
    const seen: { event: KinesisStreamEvent; requestId: string; remaining: number; functionName: string; arn: string }[] = [];
    const esm = await mapping(stream, {
      functionName: 'aggregator', region: 'eu-west-1', timeoutMs: 5000,
      handler: async (event, context) => {
        seen.push({ event, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(), functionName: context.functionName, arn: context.invokedFunctionArn });
      },
    });
    await esm.drain();
    expect(seen).toHaveLength(1);
    const { event, requestId, remaining, functionName, arn } = seen[0]!;
    const shardId = esm.shardIds[0]!;
    expect(event.Records).toHaveLength(1);
    const record = event.Records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${shardId}:${seq}`, eventName: 'aws:kinesis:record',
      awsRegion: 'eu-west-1', eventSourceARN: expect.stringMatching(new RegExp(`^arn:aws:kinesis:.*:stream/${stream}$`)),
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'pk-0', sequenceNumber: seq },
    });
    expect(values(event)).toEqual(['hello']);
    expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) - 1);
    expect(record.kinesis.approximateArrivalTimestamp).toBeLessThanOrEqual(after / 1000 + 1);
    expect(requestId).toBe(esm.invocations[0]!.requestId);
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThanOrEqual(5000);
    expect(functionName).toBe('aggregator');
    expect(arn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:aggregator');
  });

  it('rejects settings outside Lambda\'s ranges', () => {
    const base = { kinesis: kinesis.client, streamName: 's', handler: async () => undefined };
    expect(() => new EventSourceMapping({ ...base, batchSize: 0 })).toThrow(RangeError);
    expect(() => new EventSourceMapping({ ...base, maximumRetryAttempts: 10_001 })).toThrow(RangeError);
    expect(() => new EventSourceMapping({ ...base, maximumRecordAgeSeconds: 59 })).toThrow(RangeError);
    expect(() => new EventSourceMapping({ ...base, maximumBatchingWindowMs: 300_001 })).toThrow(RangeError);
  });
});

describe('batching and checkpoints', () => {
  it('invokes batches of at most batchSize, in order, each record once, and checkpoints after each success', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 25));
    const batches: string[][] = [];
    const esm = await mapping(stream, { batchSize: 10, handler: async (event) => void batches.push(values(event)) });
    await esm.drain();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(names('r', 25));
    expect(esm.checkpoints()[esm.shardIds[0]!]).toBe(seqs.at(-1));
    expect(esm.stats).toMatchObject({ invocations: 3, recordsDelivered: 25, retries: 0 });
  });

  it('waits for the batching window before invoking a partial batch', async () => {
    const stream = await newStream();
    const invokedAt: number[] = [];
    const esm = await mapping(stream, { batchSize: 100, maximumBatchingWindowMs: 300, handler: async () => void invokedAt.push(Date.now()) });
    const putAt = Date.now();
    await put(stream, ['a']);
    await put(stream, ['b', 'c']);
    await esm.drain();
    expect(esm.invocations.map((i) => i.batchSize)).toEqual([3]);
    expect(invokedAt[0]! - putAt).toBeGreaterThanOrEqual(280);
  });

  it('invokes as soon as batchSize records are ready, without waiting for the window', async () => {
    const stream = await newStream();
    const esm = await mapping(stream, { batchSize: 5, maximumBatchingWindowMs: 5000, handler: async () => undefined });
    const putAt = Date.now();
    await put(stream, names('r', 12));
    await until(() => esm.invocations.length === 2);
    expect(Date.now() - putAt).toBeLessThan(2000);
    expect(esm.invocations.map((i) => i.batchSize)).toEqual([5, 5]);
    await new Promise((r) => setTimeout(r, 100));
    expect(esm.invocations).toHaveLength(2); // the last 2 records still wait for the window
  });

  it('keeps each invocation payload within 6 MB', async () => {
    const stream = await newStream();
    const big = Array.from({ length: 6 }, (_, i) => Buffer.alloc(1_000_000, 65 + i));
    for (const record of big) await put(stream, [record]); // PutRecords takes at most 5 MB a call
    const sizes: number[] = [];
    const esm = await mapping(stream, { batchSize: 100, handler: async (event) => void sizes.push(Buffer.byteLength(JSON.stringify(event))) });
    await esm.drain();
    expect(esm.invocations.map((i) => i.batchSize)).toEqual([4, 2]);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it('LATEST skips records put before start', async () => {
    const stream = await newStream();
    await put(stream, ['old']);
    const seen: string[] = [];
    const esm = await mapping(stream, { startingPosition: 'LATEST', handler: async (event) => void seen.push(...values(event)) });
    await put(stream, ['new']);
    await esm.drain();
    expect(seen).toEqual(['new']);
  });
});

describe('ReportBatchItemFailures', () => {
  it('checkpoints before the lowest reported sequence number and retries from it; earlier records are not redelivered', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 10));
    const batches: string[][] = [];
    const esm = await mapping(stream, {
      batchSize: 10, reportBatchItemFailures: true,
      handler: async (event) => {
        batches.push(values(event));
        if (batches.length > 1) return { batchItemFailures: [] };
        return { batchItemFailures: [{ itemIdentifier: seqs[7]! }, { itemIdentifier: seqs[4]! }] };
      },
    });
    await esm.drain();
    expect(batches).toEqual([names('r', 10), names('r', 10).slice(4)]);
    expect(esm.invocations[0]).toMatchObject({ outcome: 'partial', resumeAt: seqs[4] });
    expect(esm.stats.retries).toBe(1);
    expect(esm.checkpoints()[esm.shardIds[0]!]).toBe(seqs[9]);
  });

  it('ignores batchItemFailures when ReportBatchItemFailures is off', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 3));
    const esm = await mapping(stream, { handler: async () => ({ batchItemFailures: [{ itemIdentifier: seqs[1]! }] }) });
    await esm.drain();
    expect(esm.invocations.map((i) => i.outcome)).toEqual(['success']);
  });

  it('treats an empty or null list and an empty or null response as success', async () => {
    const stream = await newStream();
    await put(stream, names('r', 4));
    const responses: unknown[] = [{ batchItemFailures: [] }, { batchItemFailures: null }, {}, null];
    let call = 0;
    const esm = await mapping(stream, {
      batchSize: 1, reportBatchItemFailures: true,
      handler: async () => responses[call++] as { batchItemFailures: [] },
    });
    await esm.drain();
    expect(esm.invocations.map((i) => i.outcome)).toEqual(['success', 'success', 'success', 'success']);
    expect(esm.stats.retries).toBe(0);
  });

  it.each([
    ['an empty itemIdentifier', () => [{ itemIdentifier: '' }]],
    ['a null itemIdentifier', () => [{ itemIdentifier: null }]],
    ['a bad key name', (seq: string) => [{ itemId: seq }]],
    ['a sequence number not in the batch', () => [{ itemIdentifier: '49590338271490256608559692538361571095921575989136588898' }]],
  ])('retries the whole batch for %s', async (_, failures) => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 3));
    const batches: string[][] = [];
    const esm = await mapping(stream, {
      batchSize: 10, reportBatchItemFailures: true,
      handler: async (event) => {
        batches.push(values(event));
        return (batches.length === 1 ? { batchItemFailures: failures(seqs[1]!) } : undefined) as never;
      },
    });
    await esm.drain();
    expect(batches).toEqual([names('r', 3), names('r', 3)]);
    expect(esm.invocations.map((i) => i.outcome)).toEqual(['invalid-response', 'success']);
  });
});

describe('function errors', () => {
  it('retries the same batch after a throw, a rejection and a timeout', async () => {
    const stream = await newStream();
    await put(stream, names('r', 3));
    let call = 0;
    const esm = await mapping(stream, {
      timeoutMs: 100,
      handler: async () => {
        call++;
        if (call === 1) throw new Error('boom');
        if (call === 2) return Promise.reject(new TypeError('bad'));
        if (call === 3) await new Promise((r) => setTimeout(r, 300));
      },
    });
    await esm.drain();
    expect(esm.invocations.map((i) => i.outcome)).toEqual(['error', 'error', 'timeout', 'success']);
    expect(new Set(esm.invocations.map((i) => `${i.firstSequenceNumber}-${i.lastSequenceNumber}-${i.batchSize}`)).size).toBe(1);
    expect(esm.invocations.map((i) => i.retryAttempt)).toEqual([0, 1, 2, 3]);
    expect(esm.stats.retries).toBe(3);
  });

  it('bisects a failing batch down to the poison record without spending retries', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 8));
    const processed: string[] = [];
    const failures: KinesisOnFailureRecord[] = [];
    const esm = await mapping(stream, {
      batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 0,
      onFailure: async (f) => void failures.push(f),
      handler: async (event) => {
        if (values(event).includes('r5')) throw new Error('poison');
        processed.push(...values(event));
      },
    });
    await esm.drain();
    expect(esm.invocations.map((i) => i.batchSize)).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(processed).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r6', 'r7']);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[5], endSequenceNumber: seqs[5], batchSize: 1 });
    expect(failures[0]!.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 });
    expect(esm.stats).toMatchObject({ bisections: 3, retries: 0, exhaustedRecords: 1, onFailureBatches: 1 });
  });

  it('after maximumRetryAttempts sends the batch metadata to onFailure and moves on', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 5));
    const failures: KinesisOnFailureRecord[] = [];
    const processed: string[] = [];
    const esm = await mapping(stream, {
      batchSize: 3, maximumRetryAttempts: 2, functionName: 'agg',
      onFailure: async (f) => void failures.push(f),
      handler: async (event) => {
        if (values(event).includes('r0')) throw new Error('always');
        processed.push(...values(event));
      },
    });
    await esm.drain();
    expect(esm.invocations.map((i) => i.batchSize)).toEqual([3, 3, 3, 2]);
    expect(processed).toEqual(['r3', 'r4']);
    expect(failures).toHaveLength(1);
    const failure = failures[0]!;
    const stored = await kinesis.readAll(stream);
    const arrivalOf = async (seq: string): Promise<string> => {
      const it = await kinesis.client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: esm.shardIds[0]!, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: seq }));
      const page = await kinesis.client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 1 }));
      return page.Records![0]!.ApproximateArrivalTimestamp!.toISOString();
    };
    expect(failure).toEqual({
      requestContext: { requestId: esm.invocations[2]!.requestId, functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:agg', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: esm.shardIds[0], startSequenceNumber: seqs[0], endSequenceNumber: seqs[2],
        approximateArrivalOfFirstRecord: await arrivalOf(seqs[0]!), approximateArrivalOfLastRecord: await arrivalOf(seqs[2]!),
        batchSize: 3, streamArn: expect.stringMatching(new RegExp(`:stream/${stream}$`)),
      },
    });
    const data = Buffer.from(stored[0]!.data).toString('base64');
    expect(JSON.stringify(failure)).not.toContain(data); // metadata only, never the records
    expect(esm.checkpoints()[esm.shardIds[0]!]).toBe(seqs[4]);
    expect(esm.stats).toMatchObject({ retries: 2, exhaustedRecords: 3, onFailureBatches: 1 });
  });

  it('retries a partial failure against the same retry budget', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('r', 4));
    const failures: KinesisOnFailureRecord[] = [];
    const esm = await mapping(stream, {
      batchSize: 4, reportBatchItemFailures: true, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true,
      onFailure: async (f) => void failures.push(f),
      handler: async (event) => ({ batchItemFailures: event.Records.filter((r) => r.kinesis.sequenceNumber === seqs[2]).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) }),
    });
    await esm.drain();
    // r0 and r1 are done after the first call; the retry of r2..r3 fails again and exhausts the one retry.
    expect(esm.invocations.map((i) => [i.batchSize, i.outcome])).toEqual([[4, 'partial'], [2, 'partial']]);
    expect(failures.map((f) => [f.KinesisBatchInfo.startSequenceNumber, f.KinesisBatchInfo.endSequenceNumber, f.requestContext.approximateInvokeCount])).toEqual([[seqs[2], seqs[3], 2]]);
    expect(esm.checkpoints()[esm.shardIds[0]!]).toBe(seqs[3]);
  });
});

describe('record age', () => {
  it('discards records older than maximumRecordAgeSeconds without invoking, then processes newer ones', async () => {
    const stream = await newStream();
    const seqs = await put(stream, names('old', 3));
    let offsetMs = 2 * 3600_000;
    const failures: KinesisOnFailureRecord[] = [];
    const seen: string[] = [];
    const esm = await mapping(stream, {
      maximumRecordAgeSeconds: 3600, clock: () => Date.now() + offsetMs,
      onFailure: async (f) => void failures.push(f),
      handler: async (event) => void seen.push(...values(event)),
    });
    await esm.drain();
    expect(esm.invocations).toHaveLength(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(failures[0]!.KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[0], endSequenceNumber: seqs[2], batchSize: 3 });
    offsetMs = 0;
    await put(stream, ['fresh']);
    await esm.drain();
    expect(seen).toEqual(['fresh']);
    expect(esm.stats.expiredRecords).toBe(3);
  });

  it('retries a failing batch until its records pass the maximum age', async () => {
    const stream = await newStream();
    await put(stream, names('r', 2));
    let offsetMs = 0;
    const failures: KinesisOnFailureRecord[] = [];
    const esm = await mapping(stream, {
      maximumRecordAgeSeconds: 60, clock: () => Date.now() + offsetMs,
      onFailure: async (f) => void failures.push(f),
      handler: async () => {
        throw new Error('down');
      },
    });
    await until(() => esm.invocations.length >= 3);
    offsetMs = 61_000;
    await esm.drain();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.requestContext.condition).toBe('RecordAgeExceeded');
    expect(failures[0]!.requestContext.approximateInvokeCount).toBe(esm.invocations.length);
    expect(failures[0]!.KinesisBatchInfo.batchSize).toBe(2);
  });
});

describe('shards', () => {
  it('a stuck shard blocks only itself; the other shard progresses in order', async () => {
    const stream = await newStream(2);
    await put(stream, names('s0-', 3), 0);
    const seqs1 = await put(stream, names('s1-', 5), 1);
    const seen1: string[] = [];
    const esm = await mapping(stream, {
      batchSize: 2,
      handler: async (event) => {
        const shard = event.Records[0]!.eventID.split(':')[0];
        expect(new Set(event.Records.map((r) => r.eventID.split(':')[0]))).toEqual(new Set([shard]));
        if (values(event)[0]!.startsWith('s0-')) throw new Error('stuck');
        seen1.push(...values(event));
      },
    });
    const [shard0, shard1] = esm.shardIds;
    await until(() => esm.checkpoints()[shard1!] === seqs1.at(-1));
    await until(() => esm.invocations.filter((i) => i.shardId === shard0).length >= 3);
    expect(seen1).toEqual(names('s1-', 5));
    expect(esm.checkpoints()[shard0!]).toBeUndefined();
    const stuck = esm.invocations.filter((i) => i.shardId === shard0);
    expect(new Set(stuck.map((i) => i.firstSequenceNumber)).size).toBe(1); // the same batch, retried
  });

  it('runs one batch at a time per shard, shards in parallel', async () => {
    const stream = await newStream(2);
    await put(stream, names('a', 6), 0);
    await put(stream, names('b', 6), 1);
    const active = new Map<string, number>();
    let maxPerShard = 0;
    let maxTotal = 0;
    const esm = await mapping(stream, {
      batchSize: 2,
      handler: async (event) => {
        const shard = event.Records[0]!.eventID.split(':')[0]!;
        active.set(shard, (active.get(shard) ?? 0) + 1);
        maxPerShard = Math.max(maxPerShard, active.get(shard)!);
        maxTotal = Math.max(maxTotal, [...active.values()].reduce((a, b) => a + b, 0));
        await new Promise((r) => setTimeout(r, 50));
        active.set(shard, active.get(shard)! - 1);
      },
    });
    await esm.drain();
    expect(maxPerShard).toBe(1);
    expect(maxTotal).toBe(2);
    expect(esm.stats.recordsDelivered).toBe(12);
  });

  it('stop() waits for the invocation in flight', async () => {
    const stream = await newStream();
    await put(stream, ['x']);
    let finished = false;
    let began = false;
    const esm = await mapping(stream, {
      handler: async () => {
        began = true;
        await new Promise((r) => setTimeout(r, 150));
        finished = true;
      },
    });
    await until(() => began);
    await esm.stop();
    expect(finished).toBe(true);
  });
});
