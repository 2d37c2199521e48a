/** Decodes an OTLP/JSON ExportTraceServiceRequest (hex ids, AnyValue objects) into the shared view. */
import type { AttributeValue, Attributes, OtlpResourceSpans, OtlpSpan } from './types.js';
import { OtlpDecodeError } from './types.js';

type Json = Record<string, unknown>;

function anyValue(v: unknown): AttributeValue {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Json;
  if ('stringValue' in o) return String(o.stringValue);
  if ('boolValue' in o) return Boolean(o.boolValue);
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) return (((o.arrayValue as Json)?.values as unknown[]) ?? []).map(anyValue);
  if ('kvlistValue' in o) return attributes((o.kvlistValue as Json)?.values);
  if ('bytesValue' in o) return String(o.bytesValue);
  return null;
}

function attributes(list: unknown): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list as Json[]) out[String(kv.key)] = anyValue(kv.value);
  return out;
}

/** The largest fixed64, as protobuf carries times: anything else (NaN, negative, 1e40) is no time and would throw later. */
const MAX_UNIX_NANO = 18_446_744_073_709_551_615;

function nanos(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > MAX_UNIX_NANO) throw new OtlpDecodeError(`${what} is not a time in nanoseconds: ${JSON.stringify(v)}`);
  return n;
}

function span(s: Json): OtlpSpan {
  const traceId = String(s.traceId ?? '');
  const spanId = String(s.spanId ?? '');
  if (!/^[0-9a-f]{32}$/i.test(traceId) || !/^[0-9a-f]{16}$/i.test(spanId)) {
    throw new OtlpDecodeError(`span "${String(s.name)}" has an invalid trace or span id`);
  }
  const status = (s.status ?? {}) as Json;
  return {
    traceId: traceId.toLowerCase(),
    spanId: spanId.toLowerCase(),
    parentSpanId: String(s.parentSpanId ?? '').toLowerCase(),
    traceState: String(s.traceState ?? ''),
    name: String(s.name ?? ''),
    kind: Number(s.kind ?? 0),
    startTimeUnixNano: nanos(s.startTimeUnixNano, `span "${String(s.name)}" startTimeUnixNano`),
    endTimeUnixNano: nanos(s.endTimeUnixNano, `span "${String(s.name)}" endTimeUnixNano`),
    attributes: attributes(s.attributes),
    events: ((s.events as Json[]) ?? []).map((e) => ({ timeUnixNano: nanos(e.timeUnixNano, `event "${String(e.name)}" of span "${String(s.name)}" timeUnixNano`), name: String(e.name ?? ''), attributes: attributes(e.attributes) })),
    links: ((s.links as Json[]) ?? []).map((l) => ({ traceId: String(l.traceId ?? ''), spanId: String(l.spanId ?? ''), attributes: attributes(l.attributes) })),
    status: { code: Number(status.code ?? 0), message: String(status.message ?? '') },
  };
}

export function decodeTraceRequestJson(text: string): OtlpResourceSpans[] {
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch (error) {
    throw new OtlpDecodeError('body is not valid JSON', { cause: error });
  }
  return ((body.resourceSpans as Json[]) ?? []).map((rs) => ({
    resource: attributes((rs.resource as Json | undefined)?.attributes),
    scopeSpans: ((rs.scopeSpans as Json[]) ?? []).map((ss) => ({
      scope: { name: String((ss.scope as Json | undefined)?.name ?? ''), version: String((ss.scope as Json | undefined)?.version ?? '') },
      spans: ((ss.spans as Json[]) ?? []).map(span),
    })),
  }));
}
