import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { governance } from '../../layers/governance/src/governance.js';
import { resetWarnings } from '../../layers/governance/src/logger.js';
import { OtlpReceiver } from '../../scripts/local/otlp-receiver.js';
import { SecretsManagerStandIn } from '../../scripts/local/secrets-manager.js';
import { createRuntime, lambdaContext, wrap } from '../support/runtime.js';

let receiver: OtlpReceiver;
let secrets: SecretsManagerStandIn;
const savedEnv = { ...process.env };

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  secrets = await SecretsManagerStandIn.start();
  // The Secrets Manager client reads its endpoint and credentials from the environment, as in Lambda.
  Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' });
});
afterAll(async () => {
  process.env = savedEnv;
  await receiver.stop();
  await secrets.stop();
});
afterEach(() => {
  receiver.clear();
  receiver.setFault(undefined);
  receiver.requiredApiKey = undefined;
  vi.restoreAllMocks();
  resetWarnings();
});

function otlpRuntime(env: Record<string, string> = {}) {
  return createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
}

async function spansOf(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await governance.span(`work-${i}`, async () => undefined);
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OTLP/HTTP export', () => {
  it.each([
    ['protobuf', {}, 'application/x-protobuf', ''],
    ['JSON', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'application/json', ''],
    ['gzip protobuf', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, 'application/x-protobuf', 'gzip'],
  ])('delivers %s that the receiver decodes', async (_name, env, contentType, encoding) => {
    const handler = wrap(otlpRuntime(env), async () => spansOf(3));
    await handler({}, lambdaContext());
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ contentType, contentEncoding: encoding, spanCount: 4 });
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['test-fn', 'work-0', 'work-1', 'work-2']);
  });

  it('sends the Honeycomb key and dataset headers, and OTEL_EXPORTER_OTLP_HEADERS', async () => {
    receiver.requiredApiKey = 'hcaik_env_key';
    const handler = wrap(otlpRuntime({ HONEYCOMB_API_KEY: 'hcaik_env_key', HONEYCOMB_DATASET: 'governance', OTEL_EXPORTER_OTLP_HEADERS: 'x-extra=1', OTEL_SERVICE_NAME: 'svc-a' }), async () => 'ok');
    await handler({}, lambdaContext());
    expect(receiver.requests[0]!.headers).toMatchObject({ 'x-honeycomb-team': 'hcaik_env_key', 'x-honeycomb-dataset': 'governance', 'x-extra': '1' });
    expect(receiver.spans[0]!.resource['service.name']).toBe('svc-a');
  });

  it('retries 503 and 429 (Retry-After honoured) inside the deadline and then delivers', async () => {
    receiver.setFault({ kind: 'status', status: 503, times: 2 });
    const runtime = otlpRuntime();
    await wrap(runtime, async () => 'ok')({}, lambdaContext());
    expect(receiver.spans).toHaveLength(1);
    receiver.setFault({ kind: 'status', status: 429, retryAfter: '0.2', times: 1 });
    const started = performance.now();
    await wrap(runtime, async () => 'ok')({}, lambdaContext());
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(receiver.spans).toHaveLength(2);
    expect(runtime.stats).toMatchObject({ exported: 2, dropped: 0, carriedOver: 0 });
  });

  it('drops what the endpoint refuses for good (400) and counts it, without retrying', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    receiver.setFault({ kind: 'status', status: 400 });
    const runtime = otlpRuntime();
    await wrap(runtime, async () => spansOf(2))({}, lambdaContext());
    expect(runtime.stats).toMatchObject({ dropped: 3, carriedOver: 0 });
  });
});

describe('a sink that is down, hanging or slow', () => {
  const BOUND_MS = 300;

  it.each([
    ['down (connection refused)', 'down'],
    ['hanging (never answers)', 'hang'],
    ['slow (answers after 2 s)', 'slow'],
  ])('%s: the result is unchanged, the added time stays within the flush bound, spans carry over', async (_name, mode) => {
    const endpoint = mode === 'down' ? `http://127.0.0.1:${await closedPort()}` : receiver.url;
    if (mode === 'hang') receiver.setFault({ kind: 'hang' });
    if (mode === 'slow') receiver.setFault({ kind: 'slow', delayMs: 2000 });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const runtime = createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, GOVERNANCE_FLUSH_TIMEOUT_MS: String(BOUND_MS) });
    const result = { statusCode: 200 };
    const handler = wrap(runtime, async () => {
      await spansOf(2);
      return result;
    });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const started = performance.now();
    await expect(handler({}, lambdaContext())).resolves.toBe(result);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(BOUND_MS + 150);
    expect(runtime.stats).toMatchObject({ carriedOver: 3, dropped: 0 });
    // No timer of ours is left running after the flush returned.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });

  it('sends the carried-over spans with the next flush once the sink is back, and reports the backlog', async () => {
    receiver.setFault({ kind: 'hang' });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const runtime = otlpRuntime({ GOVERNANCE_FLUSH_TIMEOUT_MS: '200' });
    const handler = wrap(runtime, async (event: { n: number }) => governance.span(`first-${event.n}`, async () => undefined));
    await handler({ n: 1 }, lambdaContext());
    receiver.setFault(undefined);
    await handler({ n: 2 }, lambdaContext());
    const names = receiver.spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['first-1', 'first-2']));
    expect(names.filter((n) => n === 'test-fn')).toHaveLength(2);
    const secondRoot = receiver.spans.filter((s) => s.name === 'test-fn').find((s) => s.attributes['genops.telemetry.spans_carried_over'] !== undefined);
    expect(secondRoot?.attributes['genops.telemetry.spans_carried_over']).toBe(2);
    expect(runtime.stats.carriedOver).toBe(0);
  });

  it('bounds the carry-over buffer, counts the drops and reports them on a later root span', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const down = createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, GOVERNANCE_FLUSH_TIMEOUT_MS: '100', GOVERNANCE_MAX_CARRYOVER_SPANS: '2' });
    await wrap(down, async () => spansOf(5))({}, lambdaContext());
    expect(down.stats).toMatchObject({ carriedOver: 2, dropped: 4 });
    // The next invocation's root span says how many were lost.
    const seen: unknown[] = [];
    await wrap(down, async () => {
      const { trace } = await import('@opentelemetry/api');
      seen.push((trace.getActiveSpan() as unknown as { attributes: Record<string, unknown> }).attributes['genops.telemetry.spans_dropped']);
    })({}, lambdaContext());
    expect(seen).toEqual([4]);
  });

  it('skips the export when the function has no time left, keeping the spans', async () => {
    const runtime = otlpRuntime({ GOVERNANCE_FLUSH_MARGIN_MS: '200' });
    await wrap(runtime, async () => 'ok')({}, lambdaContext({ remainingMs: 150 }));
    expect(receiver.spans).toHaveLength(0);
    expect(runtime.stats.carriedOver).toBe(1);
    await wrap(runtime, async () => 'ok')({}, lambdaContext());
    expect(receiver.spans).toHaveLength(2);
  });
});

describe('the Honeycomb key from Secrets Manager', () => {
  it('is fetched once and cached, read from JSON, refetched once on 401 after rotation, and never logged', async () => {
    const logged: string[] = [];
    for (const level of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    }
    secrets.put('honeycomb/governance', JSON.stringify({ ingestKey: 'hcaik_first_key_value', configurationKey: 'hcxlk_config' }));
    receiver.requiredApiKey = 'hcaik_first_key_value';
    const runtime = otlpRuntime({ HONEYCOMB_API_KEY_SECRET: 'honeycomb/governance' });
    const handler = wrap(runtime, async () => 'ok');
    for (let i = 0; i < 5; i++) await handler({}, lambdaContext());
    expect(receiver.spans).toHaveLength(5);
    expect(secrets.getCount('honeycomb/governance')).toBe(1);

    secrets.put('honeycomb/governance', JSON.stringify({ ingestKey: 'hcaik_rotated_key_value' }));
    receiver.requiredApiKey = 'hcaik_rotated_key_value';
    await handler({}, lambdaContext());
    expect(receiver.spans).toHaveLength(6);
    expect(secrets.getCount('honeycomb/governance')).toBe(2);
    expect(runtime.stats).toMatchObject({ dropped: 0, carriedOver: 0 });
    expect(logged.join('\n')).not.toMatch(/hcaik_|hcxlk_/);
  });

  it('keeps spans for later when the secret cannot be read, naming the secret and not the key', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const runtime = otlpRuntime({ HONEYCOMB_API_KEY_SECRET: 'honeycomb/missing', GOVERNANCE_FLUSH_TIMEOUT_MS: '200' });
    await expect(wrap(runtime, async () => 'ok')({}, lambdaContext())).resolves.toBe('ok');
    expect(runtime.stats.carriedOver).toBe(1);
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toContain('honeycomb/missing');
  });
});
