/**
 * The aggregator end to end: governed invocations → kinesalite → the event source mapping → the aggregator →
 * the Honeycomb stand-in, with the SQS stand-in as dead-letter queue. One test per fault, each checking what
 * users rely on: every valid event arrives (exactly once unless a request may have landed after its timeout),
 * every poison record is dead-lettered with its reason and sequence number, the shard keeps moving, and the
 * roll-ups sum to exactly the cost that was spent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { encodeStreamRecord } from '../../common/stream-record.js';
import { readAggregatorConfig } from '../../functions/aggregator/config.js';
import { createAggregator } from '../../functions/aggregator/handler.js';
import type { EventSourceMapping } from '../../scripts/local/event-source-mapping.js';
import { collector, logsRecord, otlpJson, protobuf } from '../support/otlp.js';
import { ESM_DEFAULTS, Pipeline, type Scenario } from '../support/pipeline.js';

const SHARD = 'shardId-000000000000';
/** Events per governed invocation (root span, llm span, policy span event) times records per Kinesis batch. */
const ONE_BATCH_OF_EVENTS = 3 * ESM_DEFAULTS.batchSize;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let pipeline: Pipeline;
let s: Scenario;
let output: string[];

beforeAll(async () => {
  pipeline = await Pipeline.start({ secrets: true });
});
afterAll(async () => {
  await pipeline.stop();
});
beforeEach(async () => {
  output = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(format(...args));
    });
  }
  s = await pipeline.scenario();
});
afterEach(async () => {
  await s.stop();
  vi.restoreAllMocks();
});

/**
 * Every expected event arrived and nothing else did; duplicates none or at most `maxDuplicates`; roll-ups sum
 * to the cost spent; the checkpoint is at the stream's last record; no batch was given up on. Returns the
 * number of duplicates.
 */
async function expectDelivered(esm: EventSourceMapping, maxDuplicates = 0): Promise<number> {
  const counts = s.counts();
  expect([...s.expected].filter((id) => !counts.has(id)), 'missing events').toEqual([]);
  expect([...counts.keys()].filter((id) => !s.expected.has(id)), 'unexpected events').toEqual([]);
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  expect(duplicates).toBeLessThanOrEqual(maxDuplicates);
  expect(Math.abs(s.rollupCost() - s.cost)).toBeLessThan(1e-9);
  expect(esm.checkpoints()).toEqual({ [SHARD]: (await s.sequenceNumbers()).at(-1) });
  expect(esm.failures).toEqual([]);
  return duplicates;
}

function otelSpans(name = 'poison') {
  const c = collector();
  c.tracer.startSpan(name, { attributes: { 'genops.cost.total': 1 } }).end();
  return c.ended;
}

const garbage = (): Uint8Array => Buffer.concat([Buffer.from([0x00, 0xff]), randomBytes(62)]);
function wrongVersion(): Uint8Array {
  const record = encodeStreamRecord(protobuf(otelSpans()));
  record[2] = 2;
  return record;
}
function truncatedProtobuf(): Uint8Array {
  const payload = protobuf(otelSpans());
  return Buffer.concat([Buffer.from([0x47, 0x56, 1, 0]), payload.subarray(0, payload.length - 7)]);
}

/** A CloudWatch Logs subscription record whose log line holds an OTLP/JSON request with one costed span. */
function logsEnvelope(cost: number): Uint8Array {
  const c = collector({ resource: { 'service.name': 'checkout', 'genops.team': 'ai-eng' } });
  c.tracer.startSpan('chat claude-haiku-4', { attributes: { 'genops.cost.total': cost, 'genops.cost.model': 'claude-haiku-4' } }).end();
  s.expected.add(c.ended[0]!.spanContext().spanId);
  s.cost += cost;
  return logsRecord([`START RequestId: ${randomUUID()}`, `2026-11-21T10:00:00.000Z\t${randomUUID()}\tINFO\t${otlpJson(c.ended)}`]);
}

/** Twelve invocations: three Kinesis batches. */
const produce = (count = 12) => s.produce(count);

describe('no fault', () => {
  it('delivers every span event once and dead-letters exactly the poison records, with reason and sequence number', async () => {
    await s.produce(4);
    const [garbageSeq, versionSeq, truncatedSeq] = await s.put([garbage(), wrongVersion(), truncatedProtobuf()]);
    await s.produce(4);
    await s.put([logsEnvelope(0.012_345_678_9)]);
    await s.produce(4);
    const esm = await s.run();
    await expectDelivered(esm);
    const letters = s.deadLetters();
    expect(letters.map((l) => [l.source.sequenceNumber, l.code])).toEqual([
      [garbageSeq, 'unrecognized-record'], [versionSeq, 'undecodable-record'], [truncatedSeq, 'undecodable-record'],
    ]);
    expect(letters[0]!.reason).toMatch(/unrecognized record \(first bytes 0x00ff/);
    expect(letters[1]!.reason).toMatch(/unsupported record version 2/);
    expect(letters[2]!.reason).toMatch(/^governance record: .*truncated/);
    for (const letter of letters) expect(letter.data).toBeDefined();
    expect(esm.invocations.every((i) => i.outcome === 'success')).toBe(true);
  });
});

describe('Honeycomb errors that are retried', () => {
  it.each([
    ['per-event 429', 429],
    ['per-event 500', 500],
  ])('%s on some events: retried, exactly once', async (_, status) => {
    await produce();
    const [fault] = pipeline.honeycomb.injectFaults([{ kind: 'perEvent', status, select: (i) => i % 3 === 0, times: 1 }]);
    const esm = await s.run();
    expect(fault!.used).toBe(1);
    await expectDelivered(esm);
  });

  it('whole-request 429 with Retry-After: waits at least that long, exactly once', async () => {
    await produce();
    pipeline.honeycomb.injectFaults([{ kind: 'status', status: 429, retryAfter: '1', times: 1 }]);
    const esm = await s.run({ env: { AGGREGATOR_CONCURRENCY: '1' } });
    const requests = pipeline.honeycomb.requests;
    const limited = requests.findIndex((r) => r.status === 429);
    expect(limited).toBe(0);
    // One batch at a time: the next request is the retry of the refused one (same body).
    expect(requests[1]!.bodyBytes).toBe(requests[0]!.bodyBytes);
    expect(requests[1]!.receivedAt.getTime() - requests[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);
    await expectDelivered(esm);
  });

  it.each([
    ['429 without Retry-After', 429],
    ['503', 503],
    ['500', 500],
  ])('whole-request %s: retried with backoff, exactly once', async (_, status) => {
    await produce();
    const [fault] = pipeline.honeycomb.injectFaults([{ kind: 'status', status, times: 2 }]);
    const esm = await s.run();
    expect(fault!.used).toBe(2);
    expect(pipeline.honeycomb.requests.filter((r) => r.status === status)).toHaveLength(2);
    await expectDelivered(esm);
  });

  it('413 on the first request: the batch is split and resent, exactly once', async () => {
    await produce();
    pipeline.honeycomb.injectFaults([{ kind: 'status', status: 413, times: 1 }]);
    const esm = await s.run({ env: { AGGREGATOR_CONCURRENCY: '1' } });
    const [first, half1, half2] = pipeline.honeycomb.requests;
    expect(first!.status).toBe(413);
    expect([half1!.status, half2!.status]).toEqual([200, 200]);
    expect(half1!.bodyBytes).toBeLessThan(first!.bodyBytes);
    expect(half2!.bodyBytes).toBeLessThan(first!.bodyBytes);
    await expectDelivered(esm);
  });

  it('slow answers within the request timeout: exactly once', async () => {
    await produce();
    pipeline.honeycomb.injectFaults([{ kind: 'slow', delayMs: 150 }]);
    const esm = await s.run();
    expect(pipeline.honeycomb.requests.every((r) => r.fault === 'slow' && r.status === 200)).toBe(true);
    expect(esm.invocations.every((i) => i.outcome === 'success')).toBe(true);
    await expectDelivered(esm);
  });

  it('hung connections and an answer after the timeout: retried, at least once, duplicates within one batch', async () => {
    await produce();
    // A hang stores nothing; a slow answer past the timeout stores the events after the client gave up.
    pipeline.honeycomb.injectFaults([{ kind: 'hang', times: 2 }, { kind: 'slow', delayMs: 600, times: 1 }]);
    // Collect garbage throughout: a request timeout must not depend on a signal the collector may take.
    const collecting = setInterval(gc, 20);
    const esm = await s.run({ env: { AGGREGATOR_REQUEST_TIMEOUT_MS: '300' } }).finally(() => clearInterval(collecting));
    expect(pipeline.honeycomb.faults.map((f) => f.used)).toEqual([2, 1]);
    expect(esm.invocations.map((i) => i.outcome)).toEqual(['success', 'success', 'success']);
    // Let the late answer land: its events are stored once more, the bounded duplicates.
    const late = pipeline.honeycomb.requests.find((r) => r.fault === 'slow')!;
    await new Promise((r) => setTimeout(r, Math.max(0, late.receivedAt.getTime() + 700 - Date.now())));
    expect(await expectDelivered(esm, ONE_BATCH_OF_EVENTS)).toBeGreaterThan(0);
  });
});

describe('deadlines', () => {
  it('a deadline too short to finish: resumes at the reported record, everything arrives, roll-ups stay exact', async () => {
    await produce();
    const sequences = await s.sequenceNumbers();
    // One batch of three events (one record) per request, one request at a time. The 3rd request (record 2)
    // hangs past the first invocation's deadline; the retry's first request (record 2 again) hangs too.
    pipeline.honeycomb.injectFaults([
      { kind: 'slow', delayMs: 1, times: 2 }, { kind: 'hang', times: 1 }, { kind: 'slow', delayMs: 1, times: 1 }, { kind: 'hang', times: 1 },
    ]);
    const collecting = setInterval(gc, 20);
    const esm = await s.run({
      env: { AGGREGATOR_DEADLINE_MARGIN_MS: '100', AGGREGATOR_REQUEST_TIMEOUT_MS: '5000', AGGREGATOR_CONCURRENCY: '1', AGGREGATOR_MAX_BATCH_EVENTS: '3' },
      esm: { timeoutMs: 2_000 },
    }).finally(() => clearInterval(collecting));
    const [first, second, third] = esm.invocations;
    expect(first).toMatchObject({ outcome: 'partial', firstSequenceNumber: sequences[0], resumeAt: sequences[2] });
    expect(second).toMatchObject({ outcome: 'partial', firstSequenceNumber: sequences[2], resumeAt: sequences[2] });
    expect(third).toMatchObject({ outcome: 'success', firstSequenceNumber: sequences[2] });
    expect(s.responses.slice(0, 2)).toEqual([{ batchItemFailures: [{ itemIdentifier: sequences[2] }] }, { batchItemFailures: [{ itemIdentifier: sequences[2] }] }]);
    expect(esm.invocations.some((i) => i.outcome === 'timeout')).toBe(false);
    // The first invocation's roll-up holds records 0 and 1 only.
    expect(s.rollups()[0]!['genops.rollup.calls']).toBe(2);
    await expectDelivered(esm, ONE_BATCH_OF_EVENTS);
  });
});

describe('Honeycomb refusals', () => {
  it('401 with a wrong static key: the invocation fails loudly, nothing is dead-lettered, the data arrives once the key is fixed', async () => {
    await produce(5);
    const wrongKey = createAggregator(readAggregatorConfig(s.env({ HONEYCOMB_API_KEY: 'hcxik_01wrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwr' })));
    let calls = 0;
    // The first three invocations run with the wrong key, then the key is fixed (a redeploy).
    const esm = await s.run({ handler: (fixed) => (event: KinesisStreamEvent, context: Context) => (++calls <= 3 ? wrongKey : fixed)(event, context) });
    const errors = esm.invocations.filter((i) => i.outcome === 'error');
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e.error).toMatch(/^HoneycombRejectedError: Honeycomb answered 401/);
    expect(pipeline.honeycomb.requests.filter((r) => r.status === 401)).toHaveLength(3);
    expect(s.deadLetters()).toEqual([]);
    await expectDelivered(esm);
  });

  it('per-event 400: that event is dead-lettered with its ids and not retried; the rest arrive once', async () => {
    await produce();
    pipeline.honeycomb.injectFaults([{ kind: 'perEvent', status: 400, error: 'unprocessable value', select: (i) => i === 0, times: 1 }]);
    const esm = await s.run();
    const letters = s.deadLetters();
    expect(letters).toHaveLength(1);
    const refused = letters[0]!;
    expect(refused).toMatchObject({ code: 'honeycomb-rejected', reason: 'Honeycomb refused the event: 400 unprocessable value' });
    const spanId = refused.event!.data['trace.span_id'] as string;
    expect(refused.event!.data['trace.trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(s.expected.delete(spanId)).toBe(true);
    expect(s.counts().has(spanId)).toBe(false);
    expect((await s.sequenceNumbers()).slice(0, 5)).toContain(refused.source.sequenceNumber);
    await expectDelivered(esm);
  });
});

describe('keys from Secrets Manager', () => {
  it('fetches the secret once, refetches once after a 401, and never prints the key', async () => {
    const secrets = pipeline.secrets!;
    const name = `honeycomb-${s.dataset}`;
    secrets.put(name, JSON.stringify({ ingestKey: pipeline.honeycomb.ingestKey, configKey: pipeline.honeycomb.configKey }));
    await produce(8);
    const [poisonSeq] = await s.put([garbage()]);
    const esm = await s.start({ env: { HONEYCOMB_API_KEY: undefined, HONEYCOMB_SECRET: name } });
    await esm.drain(20_000);
    expect(esm.invocations.length).toBeGreaterThanOrEqual(2);
    expect(secrets.getCount(name)).toBe(1);

    pipeline.honeycomb.injectFaults([{ kind: 'status', status: 401, times: 1 }]);
    await produce(4);
    await esm.drain(20_000);
    await esm.stop();
    expect(pipeline.honeycomb.requests.filter((r) => r.status === 401)).toHaveLength(1);
    expect(secrets.getCount(name)).toBe(2);
    expect(esm.invocations.every((i) => i.outcome === 'success')).toBe(true);
    await expectDelivered(esm);

    expect(s.deadLetters().map((l) => l.source.sequenceNumber)).toEqual([poisonSeq]);
    const key = pipeline.honeycomb.ingestKey;
    expect(output.length).toBeGreaterThan(0);
    expect(output.filter((line) => line.includes(key))).toEqual([]);
    expect(pipeline.sqs.messages(s.queue).filter((m) => m.body.includes(key))).toEqual([]);
    expect(esm.invocations.filter((i) => i.error?.includes(key))).toEqual([]);
  });
});

describe('dead-letter queue failures', () => {
  it.each([
    ['a failed entry', () => {
      let first: number | undefined;
      pipeline.sqs.failEntries((entry) => (first ??= entry.callIndex) === entry.callIndex);
    }],
    ['failed requests (past the SDK retries)', () => pipeline.sqs.failRequests(3, 'InternalError', { operations: ['SendMessageBatch'] })],
  ])('%s: the poison record is retried and dead-lettered exactly once; nothing is lost', async (_, inject) => {
    await produce(2);
    const [poisonSeq] = await s.put([wrongVersion()]);
    await produce(7);
    inject();
    const esm = await s.run();
    expect(s.deadLetters().map((l) => l.source.sequenceNumber)).toEqual([poisonSeq]);
    expect(esm.invocations[0]).toMatchObject({ outcome: 'partial', resumeAt: poisonSeq });
    expect(esm.invocations[1]).toMatchObject({ outcome: 'success', firstSequenceNumber: poisonSeq });
    // The records after the poison one in that batch were delivered before the letter failed, and again on the retry.
    await expectDelivered(esm, ONE_BATCH_OF_EVENTS);
  });
});

describe('bad input through the whole pipeline', () => {
  it('a ~900 KB record arrives; a 3,000-attribute span is dead-lettered as too-many-fields; invalid UTF-8 arrives as U+FFFD', async () => {
    await produce(2);
    // ~880 KB of incompressible text in one uncompressed record (flags 0), close to Kinesis' 1 MiB.
    const big = collector();
    const blob = randomBytes(660_000).toString('base64');
    big.tracer.startSpan('big', { attributes: { blob } }).end();
    const bigRecord = Buffer.concat([Buffer.from([0x47, 0x56, 1, 0]), protobuf(big.ended)]);
    expect(bigRecord.length).toBeGreaterThan(880_000);
    // Invalid UTF-8 in a string attribute: bytes written over a marker in the encoded request.
    const mangled = collector();
    mangled.tracer.startSpan('mangled', { attributes: { prompt: 'before MARKER after' } }).end();
    const payload = Buffer.from(protobuf(mangled.ended));
    payload.set([0xff, 0xfe], payload.indexOf('MARKER'));
    const [bigSeq] = await s.put([bigRecord, encodeStreamRecord(payload)]);
    s.expected.add(big.ended[0]!.spanContext().spanId).add(mangled.ended[0]!.spanContext().spanId);
    const [wide] = await s.produce(1, {
      env: { GOVERNANCE_MAX_ATTRIBUTES: '5000' },
      decorate: (span) => span.setAttributes(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`wide.attribute_${i}`, i]))),
    });
    s.expected.delete(wide!.span);
    await produce(2);
    const esm = await s.run();
    await expectDelivered(esm);

    const arrived = s.arrived();
    const bigEvent = arrived.find((d) => d.name === 'big')!;
    expect(String(bigEvent.blob).slice(0, 1000)).toBe(blob.slice(0, 1000));
    expect(arrived.find((d) => d.name === 'mangled')!.prompt).toBe('before \uFFFD\uFFFDRKER after');
    const letters = s.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ code: 'too-many-fields', reason: expect.stringMatching(/^event has 30\d\d fields; Honeycomb accepts at most 2000$/) });
    expect(letters[0]!.event!.data['trace.span_id']).toBe(wide!.span);
    expect(letters[0]!.event!.data['wide.attribute_2999']).toBe(2999);
    const sequences = await s.sequenceNumbers();
    expect(letters[0]!.source.sequenceNumber).toBe(sequences[sequences.indexOf(bigSeq!) + 2]);
  });
});
