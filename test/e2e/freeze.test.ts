/**
 * The layer's central promise, tested the way Lambda runs it: the built layer and a handler in a child
 * process, frozen (SIGSTOP) in the same tick the response is produced. Whatever the sink holds while the
 * process is frozen is what a real function would have delivered.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeTraceRequestProtobuf, type OtlpSpan } from '../../common/otlp/index.js';
import { decodeStreamRecord } from '../../common/stream-record.js';
import { LAYER_NODE_PATH } from '../../scripts/build-layer.js';
import { LocalKinesis } from '../../scripts/local/kinesis.js';
import { IdleResetProxy } from '../../scripts/local/idle-reset-proxy.js';
import { LocalLambda, type InvocationOutcome } from '../../scripts/local/local-lambda.js';
import { OtlpReceiver } from '../../scripts/local/otlp-receiver.js';
import { fixture, REPO_NODE_MODULES } from '../support/paths.js';

// The layer first, then the repository's node_modules standing in for the runtime's /var/runtime/node_modules
// (the AWS SDK comes from there, never from the layer).
const NODE_PATH = [LAYER_NODE_PATH, REPO_NODE_MODULES];

let receiver: OtlpReceiver;
let kinesis: LocalKinesis;
const lambdas: LocalLambda[] = [];

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  kinesis = await LocalKinesis.start();
});
afterAll(async () => {
  await receiver.stop();
  await kinesis.stop();
});
afterEach(async () => {
  await Promise.all(lambdas.splice(0).map((l) => l.stop()));
  receiver.setFault(undefined);
  receiver.clear();
});

async function start(handler: string, env: Record<string, string>): Promise<LocalLambda> {
  const lambda = await LocalLambda.start({ handler, env, nodePath: NODE_PATH, timeoutMs: 10_000 });
  lambdas.push(lambda);
  return lambda;
}

function spansOfInvocation(spans: OtlpSpan[], outcome: InvocationOutcome): OtlpSpan[] {
  const root = spans.find((s) => s.attributes['faas.invocation_id'] === outcome.requestId);
  return root ? spans.filter((s) => s.traceId === root.traceId) : [];
}

async function kinesisSpans(stream: string): Promise<OtlpSpan[]> {
  const records = await kinesis.readAll(stream);
  return records.flatMap((r) => decodeTraceRequestProtobuf(decodeStreamRecord(r.data)).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['otlp', async () => ({ env: { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, read: async () => receiver.spans as OtlpSpan[] })],
  ['kinesis', async () => {
    const stream = `freeze-${Date.now()}`;
    await kinesis.createStream(stream, 2);
    return { env: { GOVERNANCE_EXPORTER: 'kinesis', GOVERNANCE_STREAM_NAME: stream, AWS_ENDPOINT_URL_KINESIS: kinesis.url }, read: () => kinesisSpans(stream) };
  }],
] as const)('exporter %s: every span has arrived before the freeze', (_exporter, setup) => {
  it('over 3 cold starts × 8 invocations with 1–12 spans each, including failing ones', async () => {
    const { env, read } = await setup();
    let invocations = 0;
    for (let environment = 0; environment < 3; environment++) {
      const lambda = await start(fixture('governed'), env);
      for (let i = 0; i < 8; i++) {
        const spans = 1 + ((environment * 8 + i) * 5) % 12;
        const fail = i === 5;
        const outcome = await lambda.invoke({ spans, fail, customer: `c-${i}` });
        expect(lambda.isFrozen).toBe(true);
        // Read while the process is still frozen.
        const arrived = spansOfInvocation(await read(), outcome);
        expect(arrived, `invocation ${invocations} (${spans} spans)`).toHaveLength(spans + 2);
        const root = arrived.find((s) => s.parentSpanId === '')!;
        expect(root.attributes['faas.coldstart']).toBe(i === 0);
        if (fail) {
          expect(outcome.error).toEqual({ errorType: 'Error', errorMessage: 'handler failed on purpose' });
          expect(root.status.code).toBe(2);
        } else {
          expect(outcome.result).toEqual({ ok: true, spans });
        }
        invocations++;
      }
    }
    expect(invocations).toBe(24);
  });
});

describe('the harness catches lost spans (negative control)', () => {
  it('an un-awaited flush has delivered nothing when the process freezes; the spans only show up after a thaw', async () => {
    const lambda = await start(fixture('reference-unawaited'), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    for (let i = 0; i < 3; i++) {
      await lambda.invoke({ spans: 3 });
      await sleep(300); // frozen: nothing the process left pending can run
      expect(receiver.spans, `invocation ${i} delivered spans while frozen`).toHaveLength(0);
      lambda.thaw();
      for (let t = 0; t < 100 && receiver.spans.length < 4; t++) await sleep(10);
      expect(receiver.spans).toHaveLength(4);
      receiver.clear();
    }
  });

  it('the same SDK with the flush awaited delivers before the freeze', async () => {
    const lambda = await start(fixture('reference-unawaited'), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    await lambda.invoke({ spans: 3, awaitFlush: true });
    expect(receiver.spans).toHaveLength(4);
  });
});

describe('a bad sink never hurts the function', () => {
  const BOUND_MS = 300;
  it.each([
    ['hanging', { kind: 'hang' } as const],
    ['slow', { kind: 'slow', delayMs: 3000 } as const],
    ['failing with 503', { kind: 'status', status: 503 } as const],
  ])('%s: the result is unchanged and the response comes within the flush bound', async (_name, fault) => {
    // A sink of its own: a slow sink's late answers must not leak into other tests.
    const sink = await OtlpReceiver.start();
    try {
      const lambda = await start(fixture('governed'), { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, GOVERNANCE_FLUSH_TIMEOUT_MS: String(BOUND_MS) });
      await lambda.invoke({ spans: 1 }); // cold start outside the measurement
      sink.setFault(fault);
      for (let i = 0; i < 3; i++) {
        const outcome = await lambda.invoke({ spans: 2 });
        expect(outcome.result).toEqual({ ok: true, spans: 2 });
        expect(outcome.durationMs).toBeLessThan(BOUND_MS + 250);
      }
    } finally {
      await sink.stop();
    }
  });

  it('connection refused: the result is unchanged and the response comes within the flush bound', async () => {
    const lambda = await start(fixture('governed'), { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', GOVERNANCE_FLUSH_TIMEOUT_MS: String(BOUND_MS) });
    for (let i = 0; i < 3; i++) {
      const outcome = await lambda.invoke({ spans: 2 });
      expect(outcome.result).toEqual({ ok: true, spans: 2 });
      expect(outcome.durationMs).toBeLessThan(BOUND_MS + (i === 0 ? 400 : 250));
    }
  });
});

describe('connections across freezes', () => {
  it('survives a keep-alive socket that went stale while the process was frozen (reset on first write)', async () => {
    const middlebox = await IdleResetProxy.start(Number(new URL(receiver.url).port), 150);
    try {
      const lambda = await start(fixture('governed'), { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: middlebox.url });
      for (let i = 0; i < 4; i++) {
        const outcome = await lambda.invoke({ spans: 2 });
        expect(spansOfInvocation(receiver.spans as OtlpSpan[], outcome), `invocation ${i}`).toHaveLength(4);
        await sleep(300); // frozen longer than the middlebox keeps an idle flow
      }
      expect(middlebox.resets).toBeGreaterThanOrEqual(3);
      // Retried at once on a fresh socket: no failed export, no backoff, nothing in the function's logs.
      expect(lambda.logs.filter((line) => line.includes('lambda-governance'))).toEqual([]);
      const roots = receiver.spans.filter((s) => s.parentSpanId === '');
      expect(roots.every((r) => r.attributes['genops.telemetry.spans_carried_over'] === undefined)).toBe(true);
    } finally {
      await middlebox.stop();
    }
  });
});

describe('handler styles under a Node 24-like runtime', () => {
  it('runs a wrapped callback-style handler as a two-parameter promise handler', async () => {
    const lambda = await start(fixture('governed', 'callbackHandler'), { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const outcome = await lambda.invoke({ customer: 'acme' });
    expect(outcome.result).toEqual({ ok: true, style: 'callback', customer: 'acme' });
    expect(receiver.spans).toHaveLength(1);
  });

  it('the runtime refuses an unwrapped three-parameter handler (the check the wrapper passes)', async () => {
    const lambda = await start(fixture('governed', 'plainCallbackHandler'), { GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    await expect(lambda.invoke({})).rejects.toThrow(/callback-based function handlers are not supported/);
  });

  it('a wrong static setting fails the function at init with a message naming the variable', async () => {
    const lambda = await start(fixture('governed'), { GOVERNANCE_EXPORTER: 'kinesis' });
    await expect(lambda.invoke({})).rejects.toThrow(/GOVERNANCE_STREAM_NAME/);
  });
});
