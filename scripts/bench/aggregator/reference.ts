/**
 * The reference approach, as a typical Kinesis-to-Honeycomb function is written: the OpenTelemetry
 * protobufjs root decodes each record, toObject() gives plain objects, a straightforward mapping makes
 * the husky-shaped events, roll-ups are summed in a Map, and each batch is JSON.stringify'd and gzipped at
 * the default level.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KinesisStreamEvent } from 'aws-lambda';

interface AnyValueObj { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number; arrayValue?: { values?: AnyValueObj[] }; kvlistValue?: { values?: KeyValueObj[] } }
interface KeyValueObj { key: string; value?: AnyValueObj }
interface SpanObj {
  traceId: Buffer; spanId: Buffer; parentSpanId?: Buffer; name: string; kind?: number; startTimeUnixNano: string; endTimeUnixNano: string;
  attributes?: KeyValueObj[]; events?: unknown[]; links?: unknown[]; status?: { code?: number; message?: string };
}
interface RequestObj { resourceSpans?: { resource?: { attributes?: KeyValueObj[] }; scopeSpans?: { scope?: { name?: string; version?: string }; spans?: SpanObj[] }[] }[] }

import generatedRoot from 'otlp-proto-root/build/src/generated/root.js';

const root = generatedRoot as unknown as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: {
  decode(buf: Uint8Array): unknown; toObject(message: unknown, options: Record<string, unknown>): RequestObj;
} } } } } } };
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function value(v: AnyValueObj | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return JSON.stringify((v.arrayValue.values ?? []).map(value));
  if (v.kvlistValue) return JSON.stringify(Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, value(kv.value)])));
  return null;
}

function attrs(list: KeyValueObj[] | undefined, into: Record<string, unknown>): void {
  for (const kv of list ?? []) into[kv.key] = value(kv.value);
}

export function runPipeline(event: KinesisStreamEvent): { events: number; gzipBytes: number } {
  const events: { data: Record<string, unknown>; time: string }[] = [];
  const rollups = new Map<string, { cost: number; tokens: number; calls: number; data: Record<string, unknown> }>();
  for (const record of event.Records) {
    const bytes = Buffer.from(record.kinesis.data, 'base64');
    const payload = (bytes[3]! & 1) === 1 ? gunzipSync(bytes.subarray(4)) : bytes.subarray(4);
    const request = Request.toObject(Request.decode(payload), { longs: String, bytes: Buffer, defaults: false });
    for (const rs of request.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          const data: Record<string, unknown> = {};
          attrs(rs.resource?.attributes, data);
          attrs(span.attributes, data);
          const start = Number(span.startTimeUnixNano);
          Object.assign(data, {
            'trace.trace_id': span.traceId.toString('hex'), 'trace.span_id': span.spanId.toString('hex'),
            ...(span.parentSpanId && span.parentSpanId.length > 0 && { 'trace.parent_id': span.parentSpanId.toString('hex') }),
            name: span.name, 'span.kind': KINDS[span.kind ?? 0], type: KINDS[span.kind ?? 0],
            duration_ms: (Number(span.endTimeUnixNano) - start) / 1e6, status_code: span.status?.code ?? 0,
            ...(span.status?.code === 2 && { error: true }), 'span.num_events': span.events?.length ?? 0, 'span.num_links': span.links?.length ?? 0,
            'meta.signal_type': 'trace', 'library.name': ss.scope?.name, 'library.version': ss.scope?.version,
          });
          events.push({ data, time: new Date(start / 1e6).toISOString() });
          if (typeof data['genops.cost.total'] === 'number') {
            const key = [Math.floor(start / 6e10), data['genops.team'], data['genops.project'], data['genops.customer_id'], data['genops.cost.model']].join('|');
            const r = rollups.get(key) ?? { cost: 0, tokens: 0, calls: 0, data: { 'genops.team': data['genops.team'], 'genops.cost.model': data['genops.cost.model'] } };
            r.cost += data['genops.cost.total'];
            r.tokens += Number(data['genops.tokens.total'] ?? 0);
            r.calls++;
            rollups.set(key, r);
          }
        }
      }
    }
  }
  for (const r of rollups.values()) events.push({ data: { ...r.data, 'genops.rollup.cost_usd': r.cost, 'genops.rollup.tokens_total': r.tokens, 'genops.rollup.calls': r.calls }, time: new Date().toISOString() });
  let gzipBytes = 0;
  for (let i = 0; i < events.length; i += 2_000) gzipBytes += gzipSync(JSON.stringify(events.slice(i, i + 2_000))).length;
  return { events: events.length, gzipBytes };
}
