import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../common/honeycomb/index.js';
import { convertRecords } from '../../functions/aggregator/convert.js';
import { batchBody, splitBatches } from '../../functions/aggregator/delivery.js';
import { buildRollups } from '../../functions/aggregator/rollup.js';
import { Sampler } from '../../functions/aggregator/sampling.js';
import { collector, decodeAll, governanceRecord, parsed, seededIds, T0 } from '../support/otlp.js';

const KEEP_ALL = new Sampler(1, 0.05);
const convert = (records: ReadableSpan[][], sampler = KEEP_ALL) => convertRecords(decodeAll(records.map(governanceRecord)).decoded, sampler);

describe('span → Honeycomb events, as husky maps them', () => {
  const resource = {
    'service.name': 'checkout', 'genops.team': 'ai-eng',
    // The SDK passes resource values through unchecked; the OTLP serializer writes objects as kvlists.
    cloud: { region: 'us-east-1', account: { id: '123456789012' } } as unknown as string,
  };
  const { tracer, ended } = collector({ resource });
  const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: [T0, 123_456_000], attributes: { 'http.route': '/checkout' } });
  const linked = tracer.startSpan('enqueue', { startTime: [T0, 0] });
  linked.end([T0, 1_000_000]);
  const child = tracer.startSpan('chat claude-haiku-4', {
    kind: SpanKind.CLIENT, startTime: [T0, 200_000_000],
    attributes: { 'genops.cost.total': 0.0125, 'gen_ai.request.model': 'claude-haiku-4', tags: ['rag', 'eu'], 'retry.delays_ms': [100, 250.5] },
    links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'batched' } }],
  }, trace.setSpan(context.active(), root));
  child.addEvent('genops.policy', { 'genops.policy.result': 'warned' }, [T0, 210_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  child.end([T0, 702_500_000]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([T0, 800_000_000]);
  const events = parsed(convert([ended]).events);
  const ids = (s: typeof root) => s.spanContext();
  const common = {
    'service.name': 'checkout', 'genops.team': 'ai-eng', 'cloud.region': 'us-east-1', 'cloud.account.id': '123456789012',
    'trace.trace_id': ids(root).traceId, 'meta.signal_type': 'trace',
  };
  const byName = (name: string): BatchEvent => events.find((e) => e.data.name === name)!;

  it('makes one event per span, span event and link', () => {
    expect(events.map((e) => [e.data.name ?? e.data['meta.annotation_type'], e.data['meta.annotation_type']])).toEqual([
      ['enqueue', undefined], ['chat claude-haiku-4', undefined], ['genops.policy', 'span_event'], ['link', 'link'], ['POST /checkout', undefined],
    ]);
    expect(events.every((e) => e.samplerate === undefined)).toBe(true);
  });

  it('maps a root span: no parent, kind, status, library, flattened resource', () => {
    const event = byName('POST /checkout');
    expect(event.time).toBe('2026-11-21T10:00:00.123456Z');
    expect(event.data).toEqual({
      ...common, 'library.name': 'genops-ai', 'library.version': '1.4.0', 'http.route': '/checkout',
      'trace.span_id': ids(root).spanId, name: 'POST /checkout', 'span.kind': 'server', type: 'server',
      duration_ms: expect.closeTo(676.544, 3), status_code: 1, 'span.num_events': 0, 'span.num_links': 0,
    });
  });

  it('maps a child error span: parent id, float duration, error, status message, arrays as JSON strings', () => {
    const event = byName('chat claude-haiku-4');
    expect(event.time).toBe('2026-11-21T10:00:00.200000Z');
    expect(event.data).toEqual({
      ...common, 'library.name': 'genops-ai', 'library.version': '1.4.0',
      'genops.cost.total': 0.0125, 'gen_ai.request.model': 'claude-haiku-4', tags: '["rag","eu"]', 'retry.delays_ms': '[100,250.5]',
      'trace.span_id': ids(child).spanId, 'trace.parent_id': ids(root).spanId, name: 'chat claude-haiku-4',
      'span.kind': 'client', type: 'client', duration_ms: expect.closeTo(502.5, 3),
      status_code: 2, status_message: 'rate limited', error: true, 'span.num_events': 1, 'span.num_links': 1,
    });
    expect(byName('enqueue').data).not.toHaveProperty('error');
  });

  it('maps a span event and a link to their own events under the span', () => {
    const spanEvent = byName('genops.policy');
    expect(spanEvent.time).toBe('2026-11-21T10:00:00.210000Z');
    expect(spanEvent.data).toEqual({
      ...common, 'genops.policy.result': 'warned', 'trace.parent_id': ids(child).spanId, name: 'genops.policy',
      parent_name: 'chat claude-haiku-4', 'meta.annotation_type': 'span_event', error: true,
    });
    const link = events.find((e) => e.data['meta.annotation_type'] === 'link')!;
    expect(link.time).toBe('2026-11-21T10:00:00.200000Z');
    expect(link.data).toEqual({
      ...common, 'link.reason': 'batched', 'trace.parent_id': ids(child).spanId, 'trace.link.trace_id': ids(linked).traceId,
      'trace.link.span_id': ids(linked).spanId, parent_name: 'chat claude-haiku-4', 'meta.annotation_type': 'link', error: true,
    });
  });
});

describe('event time', () => {
  it('is RFC3339 with microseconds, exact for every millisecond of a second', () => {
    const { tracer, ended } = collector();
    for (let ms = 0; ms < 1_000; ms++) tracer.startSpan('tick', { startTime: [T0, ms * 1_000_000 + 7_000] }).end([T0 + 1, 0]);
    expect(parsed(convert([ended]).events).map((e) => e.time))
      .toEqual(Array.from({ length: 1_000 }, (_, ms) => new Date(T0 * 1000 + ms).toISOString().replace('Z', '007Z')));
  });
});

describe('cost roll-ups', () => {
  const call = (c: ReturnType<typeof collector>, seconds: number, attributes: Record<string, string | number>) =>
    c.tracer.startSpan('chat', { startTime: [T0 + seconds, 0], attributes }).end([T0 + seconds, 1_000_000]);
  const team = collector({ resource: { 'service.name': 'search', 'genops.team': 'ai-eng' } });
  const key = { 'genops.project': 'rag', 'genops.customer_id': 'acme', 'genops.cost.model': 'claude-haiku-4' };
  call(team, 5, { ...key, 'genops.cost.total': 0.01, 'genops.tokens.input': 100, 'genops.tokens.output': 20 });
  call(team, 50, { ...key, 'genops.cost.total': 0.02, 'genops.tokens.input': 200, 'genops.tokens.output': 40, 'genops.tokens.total': 250 });
  const record0 = team.ended.splice(0);
  call(team, 30, { ...key, 'genops.cost.total': 0.005, 'genops.tokens.input': 50, 'genops.tokens.output': 5 });
  call(team, 65, { ...key, 'genops.cost.total': 0.5 });
  call(team, 10, { 'genops.project': 'rag' });
  const record1 = team.ended.splice(0);
  call(team, 15, { ...key, 'genops.cost.total': 1 });
  const anonymous = collector({ resource: { 'service.name': 'batch' } });
  call(anonymous, 20, { 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3 });
  const { contributions } = convert([record0, record1, [...team.ended, ...anonymous.ended]]);
  const rollups = (until: number) => buildRollups(contributions, until).map((r) => ({ ...r.event, record: r.record }));

  it('sums cost, tokens and calls per minute and team/project/customer/model, from the earliest record', () => {
    expect(rollups(2)).toEqual([
      { time: '2026-11-21T10:00:00.000Z', record: 0, data: {
        name: 'genops.cost.rollup', 'genops.rollup.window_seconds': 60, 'genops.rollup.cost_usd': 0.035, 'genops.rollup.tokens_input': 350,
        'genops.rollup.tokens_output': 65, 'genops.rollup.tokens_total': 120 + 250 + 55, 'genops.rollup.calls': 3,
        'genops.team': 'ai-eng', 'genops.project': 'rag', 'genops.customer_id': 'acme', 'genops.cost.model': 'claude-haiku-4',
      } },
      { time: '2026-11-21T10:01:00.000Z', record: 1, data: expect.objectContaining({ 'genops.rollup.cost_usd': 0.5, 'genops.rollup.calls': 1, 'genops.team': 'ai-eng' }) },
    ]);
  });

  it('leaves out records from untilRecord on, and omits empty key fields', () => {
    expect(rollups(1)).toEqual([expect.objectContaining({ record: 0, data: expect.objectContaining({ 'genops.rollup.cost_usd': 0.03, 'genops.rollup.calls': 2 }) })]);
    const all = rollups(Infinity);
    expect(all[0]!.data).toMatchObject({ 'genops.rollup.cost_usd': 1.035, 'genops.rollup.calls': 4 });
    expect(all[2]).toEqual({ time: '2026-11-21T10:00:00.000Z', record: 2, data: {
      name: 'genops.cost.rollup', 'genops.rollup.window_seconds': 60, 'genops.rollup.cost_usd': 0, 'genops.rollup.tokens_input': 7,
      'genops.rollup.tokens_output': 3, 'genops.rollup.tokens_total': 10, 'genops.rollup.calls': 1,
    } });
    expect(all).toHaveLength(3);
  });
});

describe('trace-consistent sampling', () => {
  it('keeps 1 trace in 10 so that COUNT and SUM(cost) × samplerate are within 1 % of the truth', () => {
    // ~1,000,000 traces: a binomial 1-in-10 sample of n has a relative standard error of 3/√n, so 1 % is ~3σ here.
    const sampler = new Sampler(10, 0.05);
    const ids = seededIds(20261121);
    const c = collector({ idGenerator: ids });
    let trueCost = 0;
    let estimatedCost = 0;
    let estimatedCount = 0;
    const TRACES = 1_000_000;
    for (let done = 0; done < TRACES; done += 50_000) {
      for (let i = 0; i < 50_000; i++) {
        const cost = 0.001 + ids.next() * 0.048;
        trueCost += cost;
        c.tracer.startSpan('chat', { startTime: [T0, 0], attributes: { 'genops.cost.total': cost } }).end([T0, 1_000]);
      }
      const records = Array.from({ length: 5 }, (_, r) => c.ended.slice(r * 10_000, (r + 1) * 10_000));
      c.ended.length = 0;
      const out = convert(records, sampler);
      expect(out.spans).toBe(50_000);
      for (const event of parsed(out.events)) {
        expect(event.samplerate).toBe(10);
        estimatedCost += (event.data['genops.cost.total'] as number) * event.samplerate!;
        estimatedCount += event.samplerate!;
      }
    }
    expect(Math.abs(estimatedCount / TRACES - 1)).toBeLessThan(0.01);
    expect(Math.abs(estimatedCost / trueCost - 1)).toBeLessThan(0.01);
  }, 120_000);

  it('keeps notable traces whole without samplerate, and gives every span of a trace the same decision', () => {
    const c = collector({ idGenerator: seededIds(7) });
    const roots: ReadableSpan[] = [];
    const notable = [{ status: true }, { 'genops.policy.result': 'blocked' }, { 'genops.cost.total': 0.05 }, {}] as const;
    for (let i = 0; i < 4_000; i++) {
      const root = c.tracer.startSpan('invoke');
      const ctx = trace.setSpan(context.active(), root);
      for (let j = 0; j < 3; j++) {
        const kind = notable[i % 4]!;
        const child = c.tracer.startSpan('step', { attributes: j === 2 && !('status' in kind) ? kind : { 'genops.cost.total': 0.01 } }, ctx);
        if (j === 2 && 'status' in kind) child.setStatus({ code: SpanStatusCode.ERROR });
        child.end();
      }
      root.end();
      roots.push(c.ended.pop()!);
    }
    // Roots in one record, children in another: a notable child keeps its root.
    const converted = convert([roots, c.ended], new Sampler(10, 0.05));
    const out = parsed(converted.events);
    const traces = new Map<string, BatchEvent[]>();
    for (const e of out) traces.set(e.data['trace.trace_id'] as string, [...(traces.get(e.data['trace.trace_id'] as string) ?? []), e]);
    const kept = [...traces.values()];
    expect(kept.every((spans) => spans.length === 4)).toBe(true);
    const plain = roots.filter((_, i) => i % 4 === 3).map((s) => s.spanContext().traceId);
    const plainKept = plain.filter((id) => traces.has(id));
    expect(plainKept.length).toBeGreaterThan(50);
    expect(plainKept.length).toBeLessThan(200);
    for (const [id, spans] of traces) expect(spans.every((e) => e.samplerate === (plain.includes(id) ? 10 : undefined))).toBe(true);
    expect(traces.size).toBe(3_000 + plainKept.length);
    expect(converted.sampledOut).toBe((1_000 - plainKept.length) * 4);
    // The decision is the trace id's: a later batch holding only the children decides the same.
    const plainChildren = c.ended.filter((_, k) => Math.floor(k / 3) % 4 === 3);
    const again = new Set(parsed(convert([plainChildren], new Sampler(10, 0.05)).events).map((e) => e.data['trace.trace_id']));
    expect([...again].sort()).toEqual([...plainKept].sort());
  });

  it('keeps everything without samplerate at rate 1', () => {
    const c = collector({ idGenerator: seededIds(3) });
    for (let i = 0; i < 500; i++) c.tracer.startSpan('chat', { attributes: { 'genops.cost.total': 0.001 } }).end();
    const out = convert([c.ended], KEEP_ALL);
    expect([out.events.length, out.sampledOut]).toEqual([500, 0]);
    expect(out.events.every((e) => !e.json.includes('samplerate'))).toBe(true);
  });
});

describe('outgoing limits and batches', () => {
  it('sets aside an event over 2,000 fields, and one of 1,000,000 UTF-8 bytes or more, with the reason', () => {
    const c = collector({ spanLimits: { attributeCountLimit: 5_000 } });
    const span = (name: string, attributes: Record<string, string>) => c.tracer.startSpan(name, { startTime: [T0, 0], attributes }).end([T0, 1_000_000]);
    const only = (name: string, attributes: Record<string, string>) => {
      c.ended.length = 0;
      span(name, attributes);
      return convert([c.ended]);
    };
    const intrinsic = Object.keys(parsed(only('plain', {}).events)[0]!.data).length;
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`field${i}`, 'v']));
    expect(only('fields-ok', fields(2_000 - intrinsic)).events).toHaveLength(1);
    const padBytes = only('pad', { pad: '' }).events[0]!.bytes;
    expect(only('pad', { pad: 'x'.repeat(999_999 - padBytes) }).events.map((e) => e.bytes)).toEqual([999_999]);
    c.ended.length = 0;
    span('fields-over', fields(2_001 - intrinsic));
    span('pad', { pad: 'x'.repeat(1_000_000 - padBytes) });
    span('euro', { prompt: '€'.repeat(340_000) }); // 340,000 UTF-16 units, 1,020,000 UTF-8 bytes
    const out = convert([c.ended]);
    expect(out.events).toEqual([]);
    expect(out.oversize.map((o) => [o.code, o.event.data.name, o.reason])).toEqual([
      ['too-many-fields', 'fields-over', 'event has 2001 fields; Honeycomb accepts at most 2000'],
      ['event-too-large', 'pad', 'event is 1000000 bytes of JSON; Honeycomb accepts less than 1000000'],
      ['event-too-large', 'euro', expect.stringMatching(/^event is 1020\d{3} bytes of JSON/)],
    ]);
  });

  it('splits events in order under the count and body-byte caps', () => {
    const c = collector({ idGenerator: seededIds(11) });
    const ids = seededIds(12);
    for (let i = 0; i < 300; i++) c.tracer.startSpan(`s${i}`, { attributes: { text: 'ü'.repeat(Math.floor(ids.next() * 3_000)) } }).end();
    const events = convert([c.ended]).events;
    const exactFit = Buffer.byteLength(batchBody(events.slice(0, 10)));
    expect(splitBatches(events, 2_000, exactFit)[0]).toHaveLength(10);
    for (const [maxEvents, maxBytes] of [[25, 1_000_000], [2_000, 40_000], [7, 20_000], [2_000, exactFit]] as const) {
      const batches = splitBatches(events, maxEvents, maxBytes);
      expect(batches.flat()).toEqual(events);
      batches.forEach((batch, i) => {
        const body = batchBody(batch);
        expect(batch.length).toBeLessThanOrEqual(maxEvents);
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBytes);
        expect(JSON.parse(body)).toEqual(parsed(batch));
        const next = batches[i + 1]?.[0];
        if (next) expect(batch.length === maxEvents || Buffer.byteLength(batchBody([...batch, next])) > maxBytes).toBe(true);
      });
    }
  });
});
