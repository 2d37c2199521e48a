/**
 * What invoked us: the FaaS trigger, the span kind, the caller's trace context and values for
 * context extraction. Pure functions over the event; nothing here may throw.
 */
import { SpanKind, TraceFlags, type Link, type SpanContext } from '@opentelemetry/api';
import type { ExtractRules } from './types.js';

export type FaasTrigger = 'http' | 'pubsub' | 'datasource' | 'timer' | 'other';

export interface TriggerInfo {
  trigger: FaasTrigger;
  kind: SpanKind;
  /** HTTP-shaped events (API Gateway v1/v2, ALB, function URL) */
  http: boolean;
  parent?: SpanContext;
  links: Link[];
}

type Obj = Record<string, unknown>;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a W3C traceparent header; undefined when absent or invalid (all-zero ids, version ff). */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const traceId = m[2]!;
  const spanId = m[3]!;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object';
}

/** Case-insensitive header lookup over `headers` and ALB's `multiValueHeaders`. */
export function headerValue(event: Obj, name: string): string | undefined {
  const lower = name.toLowerCase();
  const headers = event.headers;
  if (isObj(headers)) {
    for (const key in headers) {
      if (key.toLowerCase() === lower && typeof headers[key] === 'string') return headers[key] as string;
    }
  }
  const multi = event.multiValueHeaders;
  if (isObj(multi)) {
    for (const key in multi) {
      const values = multi[key];
      if (key.toLowerCase() === lower && Array.isArray(values) && typeof values[0] === 'string') return values[0] as string;
    }
  }
  return undefined;
}

function sqsTraceparent(record: Obj): SpanContext | undefined {
  const attrs = record.messageAttributes;
  if (!isObj(attrs)) return undefined;
  for (const key in attrs) {
    if (key.toLowerCase() !== 'traceparent') continue;
    const attr = attrs[key];
    return isObj(attr) ? parseTraceparent(attr.stringValue) : undefined;
  }
  return undefined;
}

function isHttpEvent(event: Obj): boolean {
  const rc = event.requestContext;
  if (isObj(rc) && (isObj(rc.http) || typeof rc.httpMethod === 'string' || isObj(rc.elb))) return true;
  return typeof event.httpMethod === 'string' && isObj(event.headers);
}

export function describeEvent(event: unknown): TriggerInfo {
  if (!isObj(event)) return { trigger: 'other', kind: SpanKind.SERVER, http: false, links: [] };

  if (isHttpEvent(event)) {
    const parent = parseTraceparent(headerValue(event, 'traceparent'));
    return { trigger: 'http', kind: SpanKind.SERVER, http: true, links: [], ...(parent && { parent }) };
  }

  const records = event.Records;
  if (Array.isArray(records) && records.length > 0 && isObj(records[0])) {
    const first = records[0] as Obj;
    const source = String(first.eventSource ?? first.EventSource ?? '');
    if (source === 'aws:sqs') {
      // One parent for a single message; for a batch, the first message's trace is the parent and every
      // message's trace is linked, as the messaging conventions suggest.
      const contexts = records.map((r) => (isObj(r) ? sqsTraceparent(r) : undefined)).filter((c): c is SpanContext => c !== undefined);
      const parent = contexts[0];
      const links = records.length > 1 ? contexts.map((context) => ({ context })) : [];
      return { trigger: 'pubsub', kind: SpanKind.CONSUMER, http: false, links, ...(parent && { parent }) };
    }
    if (source === 'aws:sns' || source === 'aws:kinesis') return { trigger: 'pubsub', kind: SpanKind.CONSUMER, http: false, links: [] };
    if (source === 'aws:dynamodb' || source === 'aws:s3') return { trigger: 'datasource', kind: SpanKind.CONSUMER, http: false, links: [] };
  }

  if (event.source === 'aws.events' || event.source === 'aws.scheduler') {
    if (event['detail-type'] === 'Scheduled Event') return { trigger: 'timer', kind: SpanKind.INTERNAL, http: false, links: [] };
  }
  if (typeof event['detail-type'] === 'string' && 'detail' in event) {
    const detail = event.detail;
    const parent = isObj(detail) ? parseTraceparent(detail.traceparent) : undefined;
    return { trigger: 'pubsub', kind: SpanKind.CONSUMER, http: false, links: [], ...(parent && { parent }) };
  }
  return { trigger: 'other', kind: SpanKind.SERVER, http: false, links: [] };
}

function claim(event: Obj, name: string): unknown {
  const authorizer = isObj(event.requestContext) ? event.requestContext.authorizer : undefined;
  if (!isObj(authorizer)) return undefined;
  const sources = [
    isObj(authorizer.jwt) ? authorizer.jwt.claims : undefined, // HTTP API JWT authorizer
    authorizer.claims, // REST API Cognito authorizer
    authorizer.lambda, // HTTP API Lambda authorizer context
    authorizer, // REST API Lambda authorizer context
  ];
  for (const source of sources) if (isObj(source) && source[name] !== undefined) return source[name];
  return undefined;
}

function pathValue(event: Obj, path: string, parsedBody: { value?: unknown }): unknown {
  let current: unknown = event;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === 0 && part === 'body' && typeof event.body === 'string') {
      if (!('value' in parsedBody)) {
        try {
          const raw = event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
          parsedBody.value = JSON.parse(raw);
        } catch {
          parsedBody.value = undefined;
        }
      }
      current = parsedBody.value;
      continue;
    }
    if (!isObj(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Applies extraction rules to an event; values that are numbers become strings, anything else is skipped. */
export function extractContext(event: unknown, rules: ExtractRules): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObj(event)) return out;
  const parsedBody: { value?: unknown } = {};
  for (const field in rules) {
    const rule = rules[field]!;
    const colon = rule.indexOf(':');
    const kind = rule.slice(0, colon);
    const arg = rule.slice(colon + 1);
    let value: unknown;
    if (kind === 'header') value = headerValue(event, arg);
    else if (kind === 'claim') value = claim(event, arg);
    else value = pathValue(event, arg, parsedBody);
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (value !== undefined && value !== null) out[field] = value;
  }
  return out;
}
