/**
 * OTLP spans → Honeycomb events, the way Honeycomb's own OTLP ingest (husky) maps them
 * (reference/honeycomb-api.md §4): one event per span, and one per span event and per link, each carrying
 * the resource attributes. The aggregator ships these; the local stand-in's /v1/traces stores them, so a
 * span looks the same in Honeycomb whichever path it took.
 */
import type { AttributeValue, Attributes, OtlpLink, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpSpanEvent } from '../otlp/types.js';
import type { BatchEvent, EventData, FieldValue } from './types.js';

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUS_ERROR = 2;
/** husky flattens nested key-value lists to this depth; deeper values become JSON strings. */
const MAX_FLATTEN_DEPTH = 5;

function spanKindName(kind: number): string {
  return SPAN_KINDS[kind] ?? 'unspecified';
}

let lastSecond = Number.NaN;
let lastSecondPrefix = '';

/**
 * RFC3339 with microseconds from epoch nanoseconds. The float holds them only to within ±128 ns, so round to
 * the microsecond: truncating printed an exact .002 as .001999.
 */
export function rfc3339FromNanos(unixNano: number): string {
  const totalMicros = Math.round(unixNano / 1e3);
  const second = Math.floor(totalMicros / 1e6);
  // Spans of a batch mostly share their second: its "YYYY-MM-DDTHH:MM:SS." is formatted once.
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${lastSecondPrefix}${String(totalMicros - second * 1e6).padStart(6, '0')}Z`;
}

/** Where a mapping writes its fields: an object (ObjectSink) or JSON text directly (the aggregator's hot path). */
export interface FieldSink {
  set(name: string, value: FieldValue): void;
}

export class ObjectSink implements FieldSink {
  public readonly data: EventData = {};
  public set(name: string, value: FieldValue): void {
    this.data[name] = value;
  }
}

/** Writes attributes: scalars as-is, key-value lists flattened with '.', arrays (and lists too deep) as JSON strings. */
export function writeAttributes(sink: FieldSink, attributes: Attributes, prefix = '', depth = 0): void {
  for (const key in attributes) {
    const value = attributes[key] as AttributeValue;
    if (value === null || value === undefined) continue;
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value !== 'object') sink.set(name, value);
    else if (Array.isArray(value)) sink.set(name, JSON.stringify(value));
    else if (depth < MAX_FLATTEN_DEPTH) writeAttributes(sink, value, name, depth + 1);
    else sink.set(name, JSON.stringify(value));
  }
}

/** A span's own fields (everything but the resource attributes, which the caller writes first). */
export function writeSpanFields(sink: FieldSink, span: OtlpSpan, scope: OtlpScopeSpans['scope']): void {
  if (scope.name !== '') sink.set('library.name', scope.name);
  if (scope.version !== '') sink.set('library.version', scope.version);
  writeAttributes(sink, span.attributes);
  sink.set('trace.trace_id', span.traceId);
  sink.set('trace.span_id', span.spanId);
  if (span.parentSpanId !== '') sink.set('trace.parent_id', span.parentSpanId);
  sink.set('name', span.name);
  const kind = spanKindName(span.kind);
  sink.set('span.kind', kind);
  sink.set('type', kind);
  sink.set('duration_ms', Math.max(0, span.endTimeUnixNano - span.startTimeUnixNano) / 1e6);
  sink.set('status_code', span.status.code);
  if (span.status.message !== '') sink.set('status_message', span.status.message);
  if (span.status.code === STATUS_ERROR) sink.set('error', true);
  sink.set('span.num_events', span.events.length);
  sink.set('span.num_links', span.links.length);
  sink.set('meta.signal_type', 'trace');
}

/** A span event's own fields: husky makes it a child of its span. */
export function writeSpanEventFields(sink: FieldSink, span: OtlpSpan, event: OtlpSpanEvent): void {
  writeAttributes(sink, event.attributes);
  sink.set('trace.trace_id', span.traceId);
  sink.set('trace.parent_id', span.spanId);
  sink.set('name', event.name);
  sink.set('parent_name', span.name);
  sink.set('meta.annotation_type', 'span_event');
  sink.set('meta.signal_type', 'trace');
  if (span.status.code === STATUS_ERROR) sink.set('error', true);
}

/** A link's own fields. */
export function writeLinkFields(sink: FieldSink, span: OtlpSpan, link: OtlpLink): void {
  writeAttributes(sink, link.attributes);
  sink.set('trace.trace_id', span.traceId);
  sink.set('trace.parent_id', span.spanId);
  sink.set('trace.link.trace_id', link.traceId);
  sink.set('trace.link.span_id', link.spanId);
  sink.set('parent_name', span.name);
  sink.set('meta.annotation_type', 'link');
  sink.set('meta.signal_type', 'trace');
  // husky marks a link of an error span as an error too, as it does span events.
  if (span.status.code === STATUS_ERROR) sink.set('error', true);
}

function objectEvent(resource: Attributes, time: string, write: (sink: FieldSink) => void): BatchEvent {
  const sink = new ObjectSink();
  writeAttributes(sink, resource);
  write(sink);
  return { data: sink.data, time };
}

/** The event for one span, without its span events and links. */
export function spanEvent(span: OtlpSpan, resource: Attributes, scope: OtlpScopeSpans['scope']): BatchEvent {
  return objectEvent(resource, rfc3339FromNanos(span.startTimeUnixNano), (sink) => writeSpanFields(sink, span, scope));
}

/** Appends the events for one span: the span itself, then each span event and each link. */
export function appendSpanEvents(out: BatchEvent[], span: OtlpSpan, resource: Attributes, scope: OtlpScopeSpans['scope']): void {
  out.push(spanEvent(span, resource, scope));
  for (const event of span.events) {
    out.push(objectEvent(resource, rfc3339FromNanos(event.timeUnixNano), (sink) => writeSpanEventFields(sink, span, event)));
  }
  for (const link of span.links) {
    out.push(objectEvent(resource, rfc3339FromNanos(span.startTimeUnixNano), (sink) => writeLinkFields(sink, span, link)));
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
