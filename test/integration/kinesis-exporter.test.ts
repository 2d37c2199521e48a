import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeTraceRequestProtobuf, type OtlpSpan } from '../../common/otlp/index.js';
import { decodeStreamRecord, MAX_RECORD_BYTES } from '../../common/stream-record.js';
import { governance } from '../../layers/governance/src/governance.js';
import { resetWarnings } from '../../layers/governance/src/logger.js';
import { KinesisFaultProxy, LocalKinesis } from '../../scripts/local/kinesis.js';
import { createRuntime, lambdaContext, wrap } from '../support/runtime.js';

let kinesis: LocalKinesis;
let proxy: KinesisFaultProxy;
const savedEnv = { ...process.env };
let streamCounter = 0;

beforeAll(async () => {
  kinesis = await LocalKinesis.start();
  proxy = await KinesisFaultProxy.start(kinesis.url);
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' });
});
afterAll(async () => {
  process.env = savedEnv;
  await proxy.stop();
  await kinesis.stop();
});
afterEach(() => {
  proxy.failEntry = () => false;
  vi.restoreAllMocks();
  resetWarnings();
});

async function newStream(): Promise<string> {
  const name = `governance-${++streamCounter}`;
  await kinesis.createStream(name, 2);
  return name;
}

/** The SDK reads AWS_ENDPOINT_URL_KINESIS when it sends, so it stays set for the test (tests here run in sequence). */
function kinesisRuntime(stream: string, env: Record<string, string> = {}) {
  const { ENDPOINT, ...rest } = env;
  process.env.AWS_ENDPOINT_URL_KINESIS = ENDPOINT ?? kinesis.url;
  return createRuntime({ GOVERNANCE_EXPORTER: 'kinesis', GOVERNANCE_STREAM_NAME: stream, ...rest });
}

async function streamSpans(stream: string): Promise<{ spans: OtlpSpan[]; sizes: number[]; keys: string[] }> {
  const records = await kinesis.readAll(stream);
  const spans = records.flatMap((r) => decodeTraceRequestProtobuf(decodeStreamRecord(r.data)).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
  return { spans, sizes: records.map((r) => r.data.length), keys: records.map((r) => r.partitionKey) };
}

describe('Kinesis export', () => {
  it('puts version-1 records holding OTLP protobuf, partitioned by trace id', async () => {
    const stream = await newStream();
    const handler = wrap(kinesisRuntime(stream), async () => {
      await governance.span('retrieve', async () => undefined);
      governance.recordCost({ provider: 'anthropic', model: 'claude-haiku-4', inputTokens: 1000, outputTokens: 100 });
      return 'ok';
    }, { team: 'ai-eng' });
    await expect(handler({}, lambdaContext())).resolves.toBe('ok');
    const { spans, keys } = await streamSpans(stream);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat claude-haiku-4', 'retrieve', 'test-fn']);
    expect(keys).toEqual([spans[0]!.traceId]);
    expect(spans.find((s) => s.name === 'chat claude-haiku-4')!.attributes).toMatchObject({ 'genops.team': 'ai-eng', 'genops.cost.total': 0.0015 });
  });

  it('splits large flushes into records under the 1 MiB limit without losing a span', async () => {
    const stream = await newStream();
    const runtime = kinesisRuntime(stream, { GOVERNANCE_MAX_VALUE_LENGTH: '200000' });
    const handler = wrap(runtime, async () => {
      for (let i = 0; i < 30; i++) {
        await governance.span(`big-${i}`, async (span) => {
          span.setAttribute('payload', `${i}`.padEnd(150_000, String.fromCharCode(97 + (i % 26))));
        });
      }
    });
    await handler({}, lambdaContext());
    const { spans, sizes } = await streamSpans(stream);
    expect(spans).toHaveLength(31);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(31);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(runtime.stats).toMatchObject({ exported: 31, dropped: 0 });
  });

  it('retries entries that PutRecords reports as throttled, inside the deadline', async () => {
    const stream = await newStream();
    const runtime = kinesisRuntime(stream, { ENDPOINT: proxy.url, GOVERNANCE_MAX_VALUE_LENGTH: '200000' });
    // First call: every other record is throttled; later calls succeed.
    const firstCall = proxy.putRecordsCalls;
    proxy.failEntry = (call, entry) => call === firstCall && entry % 2 === 0;
    const handler = wrap(runtime, async () => {
      for (let i = 0; i < 12; i++) await governance.span(`s-${i}`, async (span) => span.setAttribute('payload', 'p'.repeat(300_000)));
    });
    await handler({}, lambdaContext());
    const { spans } = await streamSpans(stream);
    expect(proxy.putRecordsCalls - firstCall).toBeGreaterThanOrEqual(2);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(13);
    expect(spans).toHaveLength(13);
    expect(runtime.stats).toMatchObject({ exported: 13, carriedOver: 0, dropped: 0 });
  });

  it('keeps the spans when the stream does not exist, without throwing', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const runtime = kinesisRuntime('no-such-stream', { GOVERNANCE_FLUSH_TIMEOUT_MS: '300' });
    await expect(wrap(runtime, async () => 'fine')({}, lambdaContext())).resolves.toBe('fine');
    expect(runtime.stats).toMatchObject({ carriedOver: 1, dropped: 0 });
  });
});
