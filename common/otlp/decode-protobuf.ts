/**
 * A strict, allocation-light decoder for OTLP ExportTraceServiceRequest protobuf.
 * Only the trace signal is decoded; unknown fields are skipped as protobuf requires.
 * Truncated or malformed input throws OtlpDecodeError.
 */
import type { AttributeValue, Attributes, OtlpLink, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpSpanEvent } from './types.js';
import { OtlpDecodeError } from './types.js';

const TWO_32 = 4_294_967_296;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Buffer's native slicers: stable since early Node, typed here because @types/node leaves them out. */
type SlicingBuffer = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };

class Reader {
  public pos: number;
  public constructor(
    private readonly buf: SlicingBuffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  public get done(): boolean {
    return this.pos >= this.end;
  }

  public varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const byte = this.buf[this.pos++]!;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return shift < 28 ? result >>> 0 : result;
      shift += 7;
      if (shift > 63) throw new OtlpDecodeError('varint too long');
    }
  }

  /** int64 as a JS number; negative values arrive as 10-byte two's complement. */
  public int64(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      if (i >= 10) throw new OtlpDecodeError('varint too long');
      const byte = this.buf[this.pos++]!;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    lo >>>= 0;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + ((~lo >>> 0) + 1));
    return (hi >>> 0) * TWO_32 + lo;
  }

  public fixed64(): number {
    this.need(8);
    const b = this.buf;
    const p = this.pos;
    const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const hi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  public double(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  public bytes(): Uint8Array {
    const length = this.varint();
    this.need(length);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /**
   * Invalid UTF-8 becomes U+FFFD, as TextDecoder does. Buffer's native slice methods (what toString() calls
   * after validating its arguments, which the reader has already done) avoid a view and a check per string.
   */
  public string(): string {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.utf8Slice(start, this.pos);
  }

  public hex(): string {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.hexSlice(start, this.pos);
  }

  /**
   * Narrows this reader to the next length-delimited field and returns the previous end for leave():
   * the hot path (attributes) reads nested messages without allocating a Reader for each.
   */
  public enter(): number {
    const length = this.varint();
    this.need(length);
    const outer = this.end;
    this.end = this.pos + length;
    return outer;
  }

  public leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  public sub(): Reader {
    const length = this.varint();
    this.need(length);
    const reader = new Reader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  public skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_LEN) this.advance(this.varint());
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new OtlpDecodeError(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new OtlpDecodeError('truncated message');
  }
}

function expectWire(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new OtlpDecodeError(`field ${field} has wire type ${actual}, expected ${expected}`);
}

function readAnyValue(r: Reader): AttributeValue {
  let value: AttributeValue = null;
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: expectWire(wire, WIRE_LEN, 'AnyValue.string_value'); value = r.string(); break;
      case 2: expectWire(wire, WIRE_VARINT, 'AnyValue.bool_value'); value = r.varint() !== 0; break;
      case 3: expectWire(wire, WIRE_VARINT, 'AnyValue.int_value'); value = r.int64(); break;
      case 4: expectWire(wire, WIRE_FIXED64, 'AnyValue.double_value'); value = r.double(); break;
      case 5: {
        expectWire(wire, WIRE_LEN, 'AnyValue.array_value');
        const arr = r.sub();
        const values: AttributeValue[] = [];
        while (!arr.done) {
          const t = arr.varint();
          if (t >>> 3 === 1) { expectWire(t & 7, WIRE_LEN, 'ArrayValue.values'); values.push(readNestedAnyValue(arr)); }
          else arr.skip(t & 7);
        }
        value = values;
        break;
      }
      case 6: {
        expectWire(wire, WIRE_LEN, 'AnyValue.kvlist_value');
        const list = r.sub();
        const kv: Attributes = {};
        while (!list.done) {
          const t = list.varint();
          if (t >>> 3 === 1) { expectWire(t & 7, WIRE_LEN, 'KeyValueList.values'); readNestedKeyValue(list, kv); }
          else list.skip(t & 7);
        }
        value = kv;
        break;
      }
      case 7: expectWire(wire, WIRE_LEN, 'AnyValue.bytes_value'); value = Buffer.from(r.bytes()).toString('base64'); break;
      default: r.skip(wire);
    }
  }
  return value;
}

function readNestedAnyValue(r: Reader): AttributeValue {
  const outer = r.enter();
  const value = readAnyValue(r);
  r.leave(outer);
  return value;
}

/** Reads the KeyValue message that follows in `r` into `into`. */
function readNestedKeyValue(r: Reader, into: Attributes): void {
  const outer = r.enter();
  let key = '';
  let value: AttributeValue = null;
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1) { expectWire(tag & 7, WIRE_LEN, 'KeyValue.key'); key = r.string(); }
    else if (field === 2) { expectWire(tag & 7, WIRE_LEN, 'KeyValue.value'); value = readNestedAnyValue(r); }
    else r.skip(tag & 7);
  }
  r.leave(outer);
  into[key] = value;
}

function readAttributesOnly(r: Reader, attributesField: number): Attributes {
  const attributes: Attributes = {};
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === attributesField) { expectWire(tag & 7, WIRE_LEN, 'attributes'); readNestedKeyValue(r, attributes); }
    else r.skip(tag & 7);
  }
  return attributes;
}

function readEvent(r: Reader): OtlpSpanEvent {
  const event: OtlpSpanEvent = { timeUnixNano: 0, name: '', attributes: {} };
  while (!r.done) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1: expectWire(tag & 7, WIRE_FIXED64, 'Event.time_unix_nano'); event.timeUnixNano = r.fixed64(); break;
      case 2: expectWire(tag & 7, WIRE_LEN, 'Event.name'); event.name = r.string(); break;
      case 3: expectWire(tag & 7, WIRE_LEN, 'Event.attributes'); readNestedKeyValue(r, event.attributes); break;
      default: r.skip(tag & 7);
    }
  }
  return event;
}

function readLink(r: Reader): OtlpLink {
  const link: OtlpLink = { traceId: '', spanId: '', attributes: {} };
  while (!r.done) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1: expectWire(tag & 7, WIRE_LEN, 'Link.trace_id'); link.traceId = r.hex(); break;
      case 2: expectWire(tag & 7, WIRE_LEN, 'Link.span_id'); link.spanId = r.hex(); break;
      case 4: expectWire(tag & 7, WIRE_LEN, 'Link.attributes'); readNestedKeyValue(r, link.attributes); break;
      default: r.skip(tag & 7);
    }
  }
  return link;
}

function readSpan(r: Reader): OtlpSpan {
  const span: OtlpSpan = {
    traceId: '', spanId: '', parentSpanId: '', traceState: '', name: '', kind: 0,
    startTimeUnixNano: 0, endTimeUnixNano: 0, attributes: {}, events: [], links: [],
    status: { code: 0, message: '' },
  };
  while (!r.done) {
    const tag = r.varint();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: expectWire(wire, WIRE_LEN, 'Span.trace_id'); span.traceId = r.hex(); break;
      case 2: expectWire(wire, WIRE_LEN, 'Span.span_id'); span.spanId = r.hex(); break;
      case 3: expectWire(wire, WIRE_LEN, 'Span.trace_state'); span.traceState = r.string(); break;
      case 4: expectWire(wire, WIRE_LEN, 'Span.parent_span_id'); span.parentSpanId = r.hex(); break;
      case 5: expectWire(wire, WIRE_LEN, 'Span.name'); span.name = r.string(); break;
      case 6: expectWire(wire, WIRE_VARINT, 'Span.kind'); span.kind = r.varint(); break;
      case 7: expectWire(wire, WIRE_FIXED64, 'Span.start_time_unix_nano'); span.startTimeUnixNano = r.fixed64(); break;
      case 8: expectWire(wire, WIRE_FIXED64, 'Span.end_time_unix_nano'); span.endTimeUnixNano = r.fixed64(); break;
      case 9: expectWire(wire, WIRE_LEN, 'Span.attributes'); readNestedKeyValue(r, span.attributes); break;
      case 11: expectWire(wire, WIRE_LEN, 'Span.events'); span.events.push(readEvent(r.sub())); break;
      case 13: expectWire(wire, WIRE_LEN, 'Span.links'); span.links.push(readLink(r.sub())); break;
      case 15: {
        expectWire(wire, WIRE_LEN, 'Span.status');
        const s = r.sub();
        while (!s.done) {
          const t = s.varint();
          if (t >>> 3 === 2) { expectWire(t & 7, WIRE_LEN, 'Status.message'); span.status.message = s.string(); }
          else if (t >>> 3 === 3) { expectWire(t & 7, WIRE_VARINT, 'Status.code'); span.status.code = s.varint(); }
          else s.skip(t & 7);
        }
        break;
      }
      default: r.skip(wire);
    }
  }
  if (span.traceId.length !== 32 || span.spanId.length !== 16) {
    throw new OtlpDecodeError(`span "${span.name}" has an invalid trace or span id`);
  }
  return span;
}

function readScopeSpans(r: Reader): OtlpScopeSpans {
  const scopeSpans: OtlpScopeSpans = { scope: { name: '', version: '' }, spans: [] };
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(tag & 7, WIRE_LEN, 'ScopeSpans.scope');
      const s = r.sub();
      while (!s.done) {
        const t = s.varint();
        if (t >>> 3 === 1) { expectWire(t & 7, WIRE_LEN, 'InstrumentationScope.name'); scopeSpans.scope.name = s.string(); }
        else if (t >>> 3 === 2) { expectWire(t & 7, WIRE_LEN, 'InstrumentationScope.version'); scopeSpans.scope.version = s.string(); }
        else s.skip(t & 7);
      }
    } else if (field === 2) {
      expectWire(tag & 7, WIRE_LEN, 'ScopeSpans.spans');
      scopeSpans.spans.push(readSpan(r.sub()));
    } else r.skip(tag & 7);
  }
  return scopeSpans;
}

/** Decodes an ExportTraceServiceRequest. Throws OtlpDecodeError on malformed input. */
export function decodeTraceRequestProtobuf(bytes: Uint8Array): OtlpResourceSpans[] {
  // A Buffer view of the same memory (no copy): its native UTF-8 and hex slicing are the fastest string paths.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const root = new Reader(buf as SlicingBuffer, 0, buf.length);
  const out: OtlpResourceSpans[] = [];
  while (!root.done) {
    const tag = root.varint();
    if (tag >>> 3 !== 1) { root.skip(tag & 7); continue; }
    expectWire(tag & 7, WIRE_LEN, 'ExportTraceServiceRequest.resource_spans');
    const rs = root.sub();
    const resourceSpans: OtlpResourceSpans = { resource: {}, scopeSpans: [] };
    while (!rs.done) {
      const t = rs.varint();
      if (t >>> 3 === 1) { expectWire(t & 7, WIRE_LEN, 'ResourceSpans.resource'); resourceSpans.resource = readAttributesOnly(rs.sub(), 1); }
      else if (t >>> 3 === 2) { expectWire(t & 7, WIRE_LEN, 'ResourceSpans.scope_spans'); resourceSpans.scopeSpans.push(readScopeSpans(rs.sub())); }
      else rs.skip(t & 7);
    }
    out.push(resourceSpans);
  }
  return out;
}
