/**
 * Real OpenTelemetry spans for the aggregator's tests: made by the SDK, serialized by the OTLP transformer,
 * wrapped as the layer wraps them (governance stream records) or as CloudWatch Logs delivers them.
 */
import { gzipSync } from 'node:zlib';
import type { Attributes as OtelAttributes, Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type IdGenerator, type ReadableSpan, type SpanLimits } from '@opentelemetry/sdk-trace-base';
import type { BatchEvent } from '../../common/honeycomb/index.js';
import { encodeStreamRecord } from '../../common/stream-record.js';
import type { RecordRequests } from '../../functions/aggregator/convert.js';
import type { Outgoing } from '../../functions/aggregator/outgoing.js';
import { decodeRecord, type RecordRejection } from '../../functions/aggregator/records.js';

/** 2026-11-21T10:00:00Z, in seconds. */
export const T0 = 1_795_255_200;

export interface Collector {
  tracer: Tracer;
  ended: ReadableSpan[];
}

export function collector(options: { resource?: OtelAttributes; idGenerator?: IdGenerator; spanLimits?: SpanLimits } = {}): Collector {
  const ended: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(options.resource ?? { 'service.name': 'checkout' }),
    ...(options.idGenerator && { idGenerator: options.idGenerator }),
    ...(options.spanLimits && { spanLimits: options.spanLimits }),
    spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  return { tracer: provider.getTracer('genops-ai', '1.4.0'), ended };
}

/** Deterministic ids from a seeded PRNG (mulberry32). */
export function seededIds(seed: number): IdGenerator & { next(): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const hex = (bytes: number): string => Array.from({ length: bytes }, () => Math.floor(next() * 256).toString(16).padStart(2, '0')).join('');
  return { next, generateTraceId: () => hex(16), generateSpanId: () => hex(8) };
}

export const protobuf = (spans: ReadableSpan[]): Uint8Array => ProtobufTraceSerializer.serializeRequest(spans)!;
export const governanceRecord = (spans: ReadableSpan[]): Uint8Array => encodeStreamRecord(protobuf(spans));
export const otlpJson = (spans: ReadableSpan[]): string => Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8');

/** A CloudWatch Logs subscription record: the gzip'd JSON envelope Kinesis receives. */
export function logsRecord(messages: string[], messageType = 'DATA_MESSAGE'): Uint8Array {
  return gzipSync(JSON.stringify({
    messageType, owner: '123456789012', logGroup: '/aws/lambda/checkout', logStream: '2026/11/21/[$LATEST]abc',
    subscriptionFilters: ['governance'], logEvents: messages.map((message, i) => ({ id: String(i), timestamp: T0 * 1000 + i, message })),
  }));
}

/** Decodes records as the handler does: index = position in the batch. */
export function decodeAll(records: Uint8Array[]): { decoded: RecordRequests[]; rejections: (RecordRejection & { record: number })[] } {
  const decoded: RecordRequests[] = [];
  const rejections: (RecordRejection & { record: number })[] = [];
  records.forEach((data, record) => {
    const result = decodeRecord(data);
    for (const r of result.rejections) rejections.push({ ...r, record });
    if (result.requests.length > 0) decoded.push({ record, requests: result.requests });
  });
  return { decoded, rejections };
}

/** The events as Honeycomb receives them (parsed back from the serialized batch elements). */
export const parsed = (events: readonly Outgoing[]): BatchEvent[] => events.map((e) => JSON.parse(e.json) as BatchEvent);
