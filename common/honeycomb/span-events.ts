/**
 * OTLP spans → Honeycomb events, the way Honeycomb's own OTLP ingest (husky) maps them
 * (reference/honeycomb-api.md §4): one event per span, and one per span event and per link, each carrying
 * the resource attributes. The aggregator ships these; the local stand-in's /v1/traces stores them, so a
 * span looks the same in Honeycomb whichever path it took.
 */
import type { AttributeValue, Attributes, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan } from '../otlp/types.js';
import type { BatchEvent, EventData } from './types.js';

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUS_ERROR = 2;
/** husky flattens nested key-value lists to this depth; deeper values become JSON strings. */
const MAX_FLATTEN_DEPTH = 5;

export function spanKindName(kind: number): string {
  return SPAN_KINDS[kind] ?? 'unspecified';
}

/** RFC3339 with microseconds from epoch nanoseconds (ns precision is not kept by the decoder anyway). */
export function rfc3339FromNanos(unixNano: number): string {
  const ms = Math.floor(unixNano / 1e6);
  const micros = Math.floor((unixNano - ms * 1e6) / 1e3);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Copies attributes into `data`: scalars as-is, key-value lists flattened with '.', arrays as JSON strings. */
export function addAttributes(data: EventData, attributes: Attributes, prefix = '', depth = 0): void {
  for (const key in attributes) {
    const value = attributes[key] as AttributeValue;
    if (value === null || value === undefined) continue;
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value !== 'object') data[name] = value;
    else if (Array.isArray(value)) data[name] = JSON.stringify(value);
    else if (depth < MAX_FLATTEN_DEPTH) addAttributes(data, value, name, depth + 1);
    else data[name] = JSON.stringify(value);
  }
}

/** The event for one span, without its span events and links. */
export function spanEvent(span: OtlpSpan, resource: Attributes, scope: OtlpScopeSpans['scope']): BatchEvent {
  const data: EventData = {};
  addAttributes(data, resource);
  if (scope.name !== '') data['library.name'] = scope.name;
  if (scope.version !== '') data['library.version'] = scope.version;
  addAttributes(data, span.attributes);
  data['trace.trace_id'] = span.traceId;
  data['trace.span_id'] = span.spanId;
  if (span.parentSpanId !== '') data['trace.parent_id'] = span.parentSpanId;
  data.name = span.name;
  const kind = spanKindName(span.kind);
  data['span.kind'] = kind;
  data.type = kind;
  data.duration_ms = Math.max(0, span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  data.status_code = span.status.code;
  if (span.status.message !== '') data.status_message = span.status.message;
  if (span.status.code === STATUS_ERROR) data.error = true;
  data['span.num_events'] = span.events.length;
  data['span.num_links'] = span.links.length;
  data['meta.signal_type'] = 'trace';
  return { data, time: rfc3339FromNanos(span.startTimeUnixNano) };
}

/** Appends the events for one span: the span itself, then each span event and each link. */
export function appendSpanEvents(out: BatchEvent[], span: OtlpSpan, resource: Attributes, scope: OtlpScopeSpans['scope']): void {
  out.push(spanEvent(span, resource, scope));
  for (const event of span.events) {
    const data: EventData = {};
    addAttributes(data, resource);
    addAttributes(data, event.attributes);
    data['trace.trace_id'] = span.traceId;
    data['trace.parent_id'] = span.spanId;
    data.name = event.name;
    data.parent_name = span.name;
    data['meta.annotation_type'] = 'span_event';
    data['meta.signal_type'] = 'trace';
    if (span.status.code === STATUS_ERROR) data.error = true;
    out.push({ data, time: rfc3339FromNanos(event.timeUnixNano) });
  }
  for (const link of span.links) {
    const data: EventData = {};
    addAttributes(data, resource);
    addAttributes(data, link.attributes);
    data['trace.trace_id'] = span.traceId;
    data['trace.parent_id'] = span.spanId;
    data['trace.link.trace_id'] = link.traceId;
    data['trace.link.span_id'] = link.spanId;
    data.parent_name = span.name;
    data['meta.annotation_type'] = 'link';
    data['meta.signal_type'] = 'trace';
    out.push({ data, time: rfc3339FromNanos(span.startTimeUnixNano) });
  }
}

/** Every event of a decoded ExportTraceServiceRequest, in request order. */
export function resourceSpansToEvents(request: OtlpResourceSpans[]): BatchEvent[] {
  const out: BatchEvent[] = [];
  for (const rs of request) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) appendSpanEvents(out, span, rs.resource, ss.scope);
    }
  }
  return out;
}

/** The dataset husky routes an environment key's spans to: the trimmed service.name, or unknown_service. */
export function datasetForResource(resource: Attributes): string {
  const name = typeof resource['service.name'] === 'string' ? resource['service.name'].trim() : '';
  return name === '' || name.startsWith('unknown_service') ? 'unknown_service' : name;
}
