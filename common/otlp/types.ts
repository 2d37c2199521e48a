/** Plain-object view of decoded OTLP traces, shared by the aggregator and the local OTLP receiver. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface OtlpSpanEvent { timeUnixNano: number; name: string; attributes: Attributes }
export interface OtlpLink { traceId: string; spanId: string; attributes: Attributes }

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  /** Nanoseconds since the epoch, as a float (sub-microsecond precision is not kept). */
  startTimeUnixNano: number;
  endTimeUnixNano: number;
  attributes: Attributes;
  events: OtlpSpanEvent[];
  links: OtlpLink[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error */
  status: { code: number; message: string };
}

export interface OtlpScopeSpans { scope: { name: string; version: string }; spans: OtlpSpan[] }
export interface OtlpResourceSpans { resource: Attributes; scopeSpans: OtlpScopeSpans[] }

export class OtlpDecodeError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}
