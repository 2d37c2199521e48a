import http from 'node:http';
import zlib, { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HONEYCOMB_ERRORS, HoneycombStandIn, isClassicKey } from '../../scripts/local/honeycomb/index.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
let now = T0;
let hc: HoneycombStandIn;

beforeAll(async () => {
  hc = await HoneycombStandIn.start({ clock: () => now });
});
afterAll(() => hc.stop());
afterEach(() => {
  hc.reset();
  now = T0;
});

function send(path: string, body?: string | Uint8Array, headers: Record<string, string> = {}, method = 'POST'): Promise<Response> {
  return fetch(`${hc.url}${path}`, { method, headers: { 'x-honeycomb-team': hc.ingestKey, 'content-type': 'application/json', ...headers }, body });
}
const batch = (dataset: string, events: unknown, headers?: Record<string, string>): Promise<Response> =>
  send(`/1/batch/${dataset}`, typeof events === 'string' ? events : JSON.stringify(events), headers);
const fields = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
const marker = (path: string, method: string, body?: unknown, key = hc.configKey): Promise<Response> =>
  send(`/1/markers/${path}`, body === undefined ? undefined : JSON.stringify(body), { 'x-honeycomb-team': key }, method);

function spans(serviceName: string): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const span = provider.getTracer('governance', '1.2.3').startSpan('charge', { kind: SpanKind.CLIENT, attributes: { 'genops.cost.total': 0.5 } });
  span.addEvent('genops.policy', { verdict: 'blocked' });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  span.end();
  return ended;
}

describe('keys and /1/auth', () => {
  it('401s a missing or unknown key and reads X-Honeycomb-Team in any casing', async () => {
    for (const headers of [{}, { 'x-honeycomb-team': 'not-a-key' }] as Record<string, string>[]) {
      const res = await fetch(`${hc.url}/1/auth`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unknown API key - check your credentials' });
    }
    const status = await new Promise<number>((resolve, reject) => {
      http.get(`${hc.url}/1/auth`, { headers: { 'X-HONEYCOMB-TEAM': hc.ingestKey } }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });
    expect(status).toBe(200);
    expect(hc.requests.at(-1)?.rawHeaders).toContain('X-HONEYCOMB-TEAM');
  });

  it('describes Environment and Classic keys in the spec shape', async () => {
    const auth = async (key: string): Promise<unknown> => (await fetch(`${hc.url}/1/auth`, { headers: { 'x-honeycomb-team': key } })).json();
    expect(hc.ingestKey).toMatch(/^hcxik_[0-9a-z]{58}$/);
    expect(hc.configKey).toMatch(/^hcxlk_[0-9a-z]{58}$/);
    expect(await auth(hc.ingestKey)).toEqual({
      id: hc.ingestKey.slice(0, 32), type: 'ingest', api_key_access: { createDatasets: true },
      environment: { name: 'Local', slug: 'local' }, team: { name: 'Local Team', slug: 'local-team' },
    });
    const config = (await auth(hc.configKey)) as { type: string; api_key_access: Record<string, boolean> };
    expect(config.type).toBe('configuration');
    expect(config.api_key_access).toEqual(Object.fromEntries(
      ['events', 'markers', 'triggers', 'boards', 'queries', 'columns', 'createDatasets', 'slos', 'recipients', 'privateBoards'].map((p) => [p, true])));
    const classicConfig = hc.addKey({ type: 'configuration', classic: true, permissions: { slos: false } });
    const classicIngest = hc.addKey({ type: 'ingest', classic: true });
    expect(classicConfig.key).toMatch(/^[0-9a-f]{32}$/);
    expect(classicIngest.key).toMatch(/^hcaic_[0-9a-z]{58}$/);
    expect(await auth(classicConfig.key)).toMatchObject({ type: 'configuration', environment: { name: '', slug: '' }, api_key_access: { slos: false, markers: true } });
    expect(await auth(classicIngest.key)).toMatchObject({ type: 'ingest', environment: { name: '', slug: '' } });
    expect([classicConfig.key, classicIngest.key, 'A'.repeat(32), 'a'.repeat(31), hc.ingestKey].map(isClassicKey)).toEqual([true, true, false, false, false]);
    expect(() => hc.addKey({ type: 'ingest', key: hc.ingestKey, classic: true })).toThrow(/Classic/);
  });
});

describe('POST /1/batch', () => {
  it('answers 200 with one status per event, in request order, storing only the 202s', async () => {
    const res = await batch('orders', [
      { data: { a: 1 } }, 'not an object', { time: '2024-01-01T00:00:00Z' }, { data: {} }, { data: fields(2001) },
      { data: { big: 'x'.repeat(1_000_000) } }, { data: { b: 2 } }, { data: fields(2000) },
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual([
      { status: 202 }, { status: 400, error: HONEYCOMB_ERRORS.malformed }, { status: 400, error: HONEYCOMB_ERRORS.emptyBody },
      { status: 400, error: HONEYCOMB_ERRORS.emptyBody }, { status: 400, error: 'Event has too many columns.' },
      { status: 400, error: 'Request body is too large.' }, { status: 202 }, { status: 202 },
    ]);
    expect(hc.events('orders').map((e) => Object.keys(e.data).length)).toEqual([1, 1, 2000]);
    expect(hc.events('orders')[1]).toMatchObject({ data: { b: 2 }, keyId: hc.ingestKey.slice(0, 32), environment: 'local', receivedAt: new Date(T0) });
  });

  it.each([
    ['an empty body', '', {}, HONEYCOMB_ERRORS.emptyBody],
    ['a blank body', ' \n ', {}, HONEYCOMB_ERRORS.emptyBody],
    ['invalid JSON', '[{"data":', {}, HONEYCOMB_ERRORS.malformed],
    ['a JSON object', '{"data":{"a":1}}', {}, HONEYCOMB_ERRORS.malformed],
    ['an unknown encoding', '[{"data":{"a":1}}]', { 'content-encoding': 'br' }, HONEYCOMB_ERRORS.malformed],
    ['corrupt gzip', 'not gzip', { 'content-encoding': 'gzip' }, HONEYCOMB_ERRORS.malformed],
  ])('rejects %s as a whole request', async (_name, body, headers, message) => {
    const res = await batch('orders', body, headers);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: message });
    expect(hc.events()).toHaveLength(0);
  });

  it('caps the decompressed body at maxBatchBytes', async () => {
    const small = await HoneycombStandIn.start({ maxBatchBytes: 1000 });
    try {
      const body = (size: number): string => JSON.stringify([{ data: { s: 'x'.repeat(size - 19) } }]);
      const post = (b: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> =>
        fetch(`${small.url}/1/batch/d`, { method: 'POST', headers: { 'x-honeycomb-team': small.ingestKey, ...headers }, body: b });
      expect(Buffer.byteLength(body(1001))).toBe(1001);
      expect((await post(body(1000))).status).toBe(200);
      for (const res of [await post(body(1001)), await post(gzipSync(body(1001)), { 'content-encoding': 'gzip' })]) {
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error: 'Request body is too large.' });
      }
    } finally {
      await small.stop();
    }
  });

  it('reads gzip, and zstd where this Node has it (else refuses it as unreadable)', async () => {
    const events = JSON.stringify([{ data: { z: 1 } }]);
    expect(await (await send('/1/batch/zipped', gzipSync(events), { 'content-encoding': 'gzip' })).json()).toEqual([{ status: 202 }]);
    const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
    const res = await send('/1/batch/zipped', zstd ? zstd(Buffer.from(events)) : Buffer.from('x'), { 'content-encoding': 'zstd' });
    expect(res.status).toBe(zstd ? 200 : 400);
    expect(hc.events('zipped')).toHaveLength(zstd ? 2 : 1);
  });

  it('names datasets case-insensitively through the slug, refuses %2F, and creates only with permission', async () => {
    for (const path of ['My%20Dataset!', 'my%20dataset!', 'MY-DATASET-']) expect((await batch(path, [{ data: { a: 1 } }])).status).toBe(200);
    expect(hc.datasets().map(({ name, slug }) => ({ name, slug }))).toEqual([{ name: 'My Dataset!', slug: 'my-dataset-' }]);
    expect(hc.events('my dataset!')).toHaveLength(3);
    const slashed = await batch('a%2Fb', [{ data: { a: 1 } }]);
    expect([slashed.status, await slashed.json()]).toEqual([404, { error: 'dataset not found' }]);
    const noCreate = hc.addKey({ type: 'ingest', permissions: { createDatasets: false } });
    hc.addDataset('Existing');
    expect((await batch('brand-new', [{ data: { a: 1 } }], { 'x-honeycomb-team': noCreate.key })).status).toBe(404);
    expect((await batch('EXISTING', [{ data: { a: 1 } }], { 'x-honeycomb-team': noCreate.key })).status).toBe(200);
    expect(hc.events('existing')).toHaveLength(1);
  });

  it('parses time and samplerate as Refinery does and truncates long strings on a UTF-8 boundary', async () => {
    const times: [unknown, number][] = [
      ['2024-05-06T07:08:09.123456789Z', Date.UTC(2024, 4, 6, 7, 8, 9, 123)], ['2024-05-06T09:08:09+02:00', Date.UTC(2024, 4, 6, 7, 8, 9)],
      ['1714979289', 1714979289000], ['1714979289123', 1714979289123], ['1714979289123456', 1714979289123],
      [1714979289123, 1714979289123], ['1714979289.5', 1714979289500], ['12345', T0], ['yesterday', T0], [undefined, T0],
    ];
    await batch('times', times.map(([time]) => ({ data: { a: 1 }, time })));
    expect(hc.events('times').map((e) => e.time.getTime())).toEqual(times.map(([, ms]) => ms));
    const rates = [5, undefined, 0, -3, 'abc', 2.5];
    await batch('rates', rates.map((samplerate) => ({ data: { a: 1 }, samplerate })));
    expect(hc.events('rates').map((e) => e.samplerate)).toEqual([5, 1, 1, 1, 1, 1]);
    await batch('strings', [{ data: { accent: 'é'.repeat(40_000), ascii: 'x'.repeat(70_000), nested: { k: [1] }, gone: null } }]);
    const [stored] = hc.events('strings');
    expect(stored?.data.accent).toBe('é'.repeat(32_767)); // 65,534 bytes: the 65,535th would split a character
    expect(stored?.data.ascii).toHaveLength(65_535);
    expect(stored?.data).toMatchObject({ nested: '{"k":[1]}' });
    expect(stored?.data).not.toHaveProperty('gone');
  });
});

describe('POST /1/events', () => {
  it('stores one event with time and sample rate from headers and answers an empty 200', async () => {
    const res = await send('/1/events/Single', JSON.stringify({ a: 1 }), { 'X-Honeycomb-Event-Time': '1714979289', 'X-Honeycomb-Samplerate': '4' });
    expect([res.status, await res.text()]).toEqual([200, '']);
    expect(hc.events('single')).toMatchObject([{ data: { a: 1 }, samplerate: 4, time: new Date(1714979289000) }]);
  });

  it.each([
    ['over 1 MB', JSON.stringify({ s: 'x'.repeat(1_000_000) }), 'Request body is too large.'],
    ['an array', '[{"a":1}]', HONEYCOMB_ERRORS.malformed],
    ['no fields', '{}', HONEYCOMB_ERRORS.emptyBody],
  ])('rejects a body that is %s', async (_name, body, message) => {
    const res = await send('/1/events/single', body);
    expect([res.status, await res.json()]).toEqual([400, { error: message }]);
  });
});

describe('markers', () => {
  it('creates, lists, replaces and deletes with a configuration key', async () => {
    hc.addDataset('Deploys');
    const created = await marker('DEPLOYS', 'POST', { message: 'v1', type: 'deploy' });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({
      id: '00000001', created_at: '2025-01-02T03:04:05Z', updated_at: '2025-01-02T03:04:05Z', start_time: Math.floor(T0 / 1000), message: 'v1', type: 'deploy',
    });
    now = T0 + 60_000;
    const replaced = await marker('deploys/00000001', 'PUT', { type: 'rollback', start_time: 100 });
    expect(await replaced.json()).toEqual({ id: '00000001', created_at: '2025-01-02T03:04:05Z', updated_at: '2025-01-02T03:05:05Z', start_time: 100, type: 'rollback' });
    expect(await (await marker('deploys', 'GET')).json()).toEqual([expect.objectContaining({ id: '00000001', type: 'rollback' })]);
    const deleted = await marker('deploys/00000001', 'DELETE');
    expect([deleted.status, await deleted.json()]).toEqual([200, expect.objectContaining({ id: '00000001' })]);
    expect(hc.markers('deploys')).toHaveLength(0);
    expect((await marker('deploys/00000001', 'DELETE')).status).toBe(404);
    expect((await marker('__all__', 'POST', { message: 'env-wide' })).status).toBe(201);
    expect(hc.markers('__all__').map((m) => m.marker.id)).toEqual(['00000002']);
  });

  it('refuses ingest keys (401, or 403 when configured), keys without markers, and unknown datasets', async () => {
    const noMarkers = hc.addKey({ type: 'configuration', permissions: { markers: false } });
    for (const key of [hc.ingestKey, noMarkers.key]) {
      const res = await marker('__all__', 'POST', {}, key);
      expect([res.status, await res.json()]).toEqual([401, { error: HONEYCOMB_ERRORS.unknownKey }]);
    }
    const missing = await marker('nowhere', 'POST', {});
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'dataset not found' }]);
    const strict = await HoneycombStandIn.start({ permissionDeniedStatus: 403 });
    try {
      const res = await fetch(`${strict.url}/1/markers/__all__`, { method: 'POST', headers: { 'x-honeycomb-team': strict.ingestKey }, body: '{}' });
      expect(res.status).toBe(403);
    } finally {
      await strict.stop();
    }
  });
});

describe('POST /v1/traces', () => {
  const otlp = (body: Uint8Array | string, headers: Record<string, string>): Promise<Response> =>
    send('/v1/traces', body, { 'content-type': 'application/x-protobuf', ...headers });

  it('stores gzip protobuf spans in the service.name dataset with husky fields and answers an empty 200', async () => {
    const [span] = spans(' checkout ');
    const res = await otlp(gzipSync(ProtobufTraceSerializer.serializeRequest([span!])!), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    const [spanEvent, policyEvent] = hc.events('checkout');
    expect(spanEvent?.data).toMatchObject({
      'service.name': ' checkout ', 'library.name': 'governance', 'library.version': '1.2.3', 'genops.cost.total': 0.5,
      'trace.trace_id': span!.spanContext().traceId, 'trace.span_id': span!.spanContext().spanId, name: 'charge',
      'span.kind': 'client', type: 'client', status_code: 2, status_message: 'boom', error: true, 'span.num_events': 1, 'meta.signal_type': 'trace',
    });
    expect(spanEvent?.time.getTime()).toBe(span!.startTime[0] * 1000 + Math.floor(span!.startTime[1] / 1e6));
    expect(policyEvent?.data).toMatchObject({ name: 'genops.policy', verdict: 'blocked', 'meta.annotation_type': 'span_event', 'trace.parent_id': span!.spanContext().spanId });
  });

  it('answers JSON with {} and routes Classic keys by x-honeycomb-dataset', async () => {
    const classic = hc.addKey({ type: 'configuration', classic: true });
    const body = JsonTraceSerializer.serializeRequest(spans('ignored'))!;
    const res = await otlp(body, { 'content-type': 'application/json', 'x-honeycomb-team': classic.key, 'x-honeycomb-dataset': 'Legacy' });
    expect([res.status, await res.text()]).toEqual([200, '{}']);
    expect(hc.events('legacy')).toHaveLength(2);
    expect(hc.events('ignored')).toHaveLength(0);
  });

  it.each([
    ['another content type', { 'content-type': 'application/json; charset=utf-8' }, 415, 'unsupported content-type, valid types are: application/protobuf, application/x-protobuf, application/json'],
    ['no key', { 'content-type': 'application/json', 'x-honeycomb-team': '' }, 401, '{"message":"missing \'x-honeycomb-team\' header"}'],
    ['a Classic key without a dataset', { 'content-type': 'application/json', 'x-honeycomb-team': 'a'.repeat(32) }, 401, '{"message":"missing \'x-honeycomb-dataset\' header"}'],
    ['an unknown key', { 'content-type': 'application/json', 'x-honeycomb-team': 'nope' }, 401, `{"message":"${HONEYCOMB_ERRORS.unknownKey}"}`],
  ])('refuses %s', async (_name, headers, status, body) => {
    const res = await otlp('{}', headers);
    expect([res.status, await res.text()]).toEqual([status, body]);
  });

  it('answers a body it cannot parse with 400 and a protobuf google.rpc.Status', async () => {
    const res = await otlp(Uint8Array.from([0x0a, 0xff, 0xff]), {});
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(400);
    expect(bytes[0]).toBe(0x12); // field 2, message
    expect(bytes.subarray(2).toString()).toMatch(/^failed to parse OTLP request body: /);
  });
});

describe('faults', () => {
  it('answers whole requests in order, honours times and path, and counts uses', async () => {
    const injected = hc.injectFaults([
      { kind: 'status', status: 429, retryAfter: 2, times: 2 },
      { kind: 'status', status: 429, error: HONEYCOMB_ERRORS.denylisted, times: 1 },
      { kind: 'status', status: 502, body: '<html>bad gateway</html>', path: '/1/markers/' },
    ]);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await batch('d', [{ data: { i } }]);
      answers.push([res.status, res.headers.get('retry-after'), await res.json()]);
    }
    expect(answers).toEqual([
      [429, '2', { error: 'Request dropped due to rate limiting.' }], [429, '2', { error: 'Request dropped due to rate limiting.' }],
      [429, null, { error: 'Event dropped due to administrative denylist' }], [200, null, [{ status: 202 }]],
    ]);
    const gateway = await marker('__all__', 'GET');
    expect([gateway.status, gateway.headers.get('content-type'), await gateway.text()]).toEqual([502, 'text/plain', '<html>bad gateway</html>']);
    expect(injected.map((f) => f.used)).toEqual([2, 1, 1]);
    expect(hc.events('d').map((e) => e.data.i)).toEqual([3]);
    expect(hc.requests.map((r) => [r.status, r.fault])).toEqual([[429, 'status'], [429, 'status'], [429, 'status'], [200, undefined], [502, 'status']]);
  });

  it.each([
    [403, 'Event dropped due to administrative throttling'], [401, HONEYCOMB_ERRORS.unknownKey], [413, 'Request body is too large.'],
    [500, 'Internal Server Error'], [503, 'Service Unavailable'], [504, 'Gateway Timeout'],
  ])('answers %i with its default error text', async (status, message) => {
    hc.injectFaults([{ kind: 'status', status, times: 1 }]);
    const res = await batch('d', [{ data: { a: 1 } }]);
    expect([res.status, await res.json()]).toEqual([status, { error: message }]);
  });

  it('fails selected events inside a 200 and does not store them', async () => {
    const [fault] = hc.injectFaults([{ kind: 'perEvent', status: 429, select: (i) => i % 2 === 1 }]);
    const res = await batch('d', [{ data: { i: 0 } }, { data: { i: 1 } }, { data: { i: 2 } }, { data: {} }]);
    expect(await res.json()).toEqual([{ status: 202 }, { status: 429, error: HONEYCOMB_ERRORS.rateLimited }, { status: 202 }, { status: 400, error: HONEYCOMB_ERRORS.emptyBody }]);
    expect(hc.events('d').map((e) => e.data.i)).toEqual([0, 2]);
    expect((await fetch(`${hc.url}/1/auth`, { headers: { 'x-honeycomb-team': hc.ingestKey } })).status).toBe(200);
    expect(fault?.used).toBe(1); // /1/auth is not a batch, so the fault did not take it
  });

  it('answers late when slow, resets the connection, and holds a hung request until reset', async () => {
    hc.injectFaults([{ kind: 'slow', delayMs: 150, times: 1 }, { kind: 'reset', times: 1 }, { kind: 'hang', times: 1 }]);
    const started = Date.now();
    expect((await batch('d', [{ data: { a: 1 } }])).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(hc.events('d')).toHaveLength(1);
    await expect(batch('d', [{ data: { a: 2 } }])).rejects.toThrow();
    const hung = batch('d', [{ data: { a: 3 } }]);
    const outcome = await Promise.race([hung.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('pending'), 200))]);
    expect(outcome).toBe('pending');
    hc.reset();
    await expect(hung).rejects.toThrow();
    expect((await batch('d', [{ data: { a: 4 } }])).status).toBe(200);
  });

  it('releases a hung connection on stop', async () => {
    const other = await HoneycombStandIn.start();
    other.injectFaults([{ kind: 'hang' }]);
    const hung = fetch(`${other.url}/1/auth`, { headers: { 'x-honeycomb-team': other.ingestKey } });
    while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await other.stop();
    await expect(hung).rejects.toThrow();
  });
});

describe('inspection surface', () => {
  it('serves stored events and markers over HTTP, outside the request log, and resets', async () => {
    await batch('Inspected', [{ data: { a: 1 }, time: '1714979289' }]);
    await marker('__all__', 'POST', { message: 'm' });
    const events = await (await fetch(`${hc.url}/__standin/events?dataset=INSPECTED`)).json();
    expect(events).toEqual([expect.objectContaining({ dataset: 'inspected', data: { a: 1 }, time: '2024-05-06T07:08:09.000Z', samplerate: 1 })]);
    expect(await (await fetch(`${hc.url}/__standin/markers?dataset=__all__`)).json()).toEqual([expect.objectContaining({ marker: expect.objectContaining({ message: 'm' }) })]);
    expect(hc.requests.map((r) => r.path)).toEqual(['/1/batch/Inspected', '/1/markers/__all__']);
    expect((await fetch(`${hc.url}/__standin/reset`, { method: 'DELETE' })).status).toBe(204);
    expect([hc.events(), hc.markers(), hc.datasets()]).toEqual([[], [], []]);
  });
});
