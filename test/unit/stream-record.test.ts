import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeStreamRecord, encodeStreamRecord, GZIP_THRESHOLD_BYTES, StreamRecordError } from '../../common/stream-record.js';
import { decodeTraceRequestProtobuf, OtlpDecodeError } from '../../common/otlp/index.js';

function makeSpans(count: number, attributeBytes = 10): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('t', '1.0');
  for (let i = 0; i < count; i++) {
    const span: Span = tracer.startSpan(`span-${i}`, { kind: SpanKind.CLIENT });
    span.setAttributes({ 'genops.team': 'ai-eng', 'genops.cost.total': 0.0125, 'genops.tokens.input': 812, big: 'x'.repeat(attributeBytes), negative: -5, flag: true });
    span.addEvent('genops.policy', { 'genops.policy.result': 'blocked' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
  }
  return ended;
}

describe('stream record v1', () => {
  it('round-trips an OTLP payload, compressing large ones', () => {
    const small = ProtobufTraceSerializer.serializeRequest(makeSpans(1))!;
    const large = ProtobufTraceSerializer.serializeRequest(makeSpans(5, GZIP_THRESHOLD_BYTES))!;
    const smallRecord = encodeStreamRecord(small);
    const largeRecord = encodeStreamRecord(large);
    expect([...smallRecord.subarray(0, 4)]).toEqual([0x47, 0x56, 1, 0]);
    expect(largeRecord[3]).toBe(1);
    expect(largeRecord.length).toBeLessThan(large.length / 2);
    expect(Buffer.from(decodeStreamRecord(smallRecord)).equals(Buffer.from(small))).toBe(true);
    expect(Buffer.from(decodeStreamRecord(largeRecord)).equals(Buffer.from(large))).toBe(true);
  });

  it.each([
    ['empty', new Uint8Array(0), /too short/],
    ['wrong magic', Uint8Array.from([1, 2, 1, 0, 9]), /magic/],
    ['future version', Uint8Array.from([0x47, 0x56, 2, 0, 9]), /version 2/],
    ['unknown flags', Uint8Array.from([0x47, 0x56, 1, 0x80, 9]), /flags/],
    ['bad gzip', Uint8Array.from([0x47, 0x56, 1, 1, 9, 9, 9]), /gzip/],
  ])('rejects a record that is %s with a reason', (_name, record, reason) => {
    expect(() => decodeStreamRecord(record)).toThrow(StreamRecordError);
    expect(() => decodeStreamRecord(record)).toThrow(reason);
  });
});

describe('decodeTraceRequestProtobuf', () => {
  it('decodes what the OpenTelemetry serializer writes', () => {
    const [span] = makeSpans(1);
    const decoded = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest([span!])!);
    const out = decoded[0]!.scopeSpans[0]!.spans[0]!;
    expect(decoded[0]!.resource['service.name']).toBe('svc');
    expect(decoded[0]!.scopeSpans[0]!.scope).toEqual({ name: 't', version: '1.0' });
    expect(out.traceId).toBe(span!.spanContext().traceId);
    expect(out.spanId).toBe(span!.spanContext().spanId);
    expect(out.name).toBe('span-0');
    expect(out.kind).toBe(3);
    expect(out.attributes).toMatchObject({ 'genops.team': 'ai-eng', 'genops.cost.total': 0.0125, 'genops.tokens.input': 812, negative: -5, flag: true });
    expect(out.events[0]).toMatchObject({ name: 'genops.policy', attributes: { 'genops.policy.result': 'blocked' } });
    expect(out.status).toEqual({ code: 2, message: 'boom' });
    expect(out.endTimeUnixNano).toBeGreaterThanOrEqual(out.startTimeUnixNano);
  });

  it('throws OtlpDecodeError on truncated input instead of returning partial data', () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(makeSpans(2))!;
    for (const cut of [1, 10, bytes.length - 3]) {
      expect(() => decodeTraceRequestProtobuf(bytes.subarray(0, cut))).toThrow(OtlpDecodeError);
    }
  });
});
