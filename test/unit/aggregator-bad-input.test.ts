/** Whatever a stream record holds, decoding and converting it never throws: bad input is a rejection with a reason. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_DECODED_PAYLOAD_BYTES } from '../../common/stream-record.js';
import { convertRecords, type Converted } from '../../functions/aggregator/convert.js';
import { Sampler } from '../../functions/aggregator/sampling.js';
import { collector, decodeAll, governanceRecord, logsRecord, parsed, protobuf, seededIds, T0 } from '../support/otlp.js';

function run(records: Uint8Array[]): ReturnType<typeof decodeAll> & Converted {
  const { decoded, rejections } = decodeAll(records);
  return { decoded, rejections, ...convertRecords(decoded, new Sampler(1, 0.05)) };
}

function smallRecord(): Uint8Array {
  const { tracer, ended } = collector();
  for (let i = 0; i < 5; i++) tracer.startSpan(`step-${i}`, { attributes: { note: 'ok' } }).end();
  return governanceRecord(ended);
}

const withHeader = (version: number, flags: number, payload: Uint8Array): Uint8Array => Uint8Array.from([0x47, 0x56, version, flags, ...payload]);

describe('undecodable records are rejected with a reason, never thrown', () => {
  it('rejects a protobuf payload cut short anywhere', () => {
    const record = smallRecord();
    expect(record[3]).toBe(0);
    const cuts = [5, 6, 20, 64, Math.floor(record.length / 2), record.length - 10, record.length - 1];
    const out = run(cuts.map((cut) => record.subarray(0, cut)));
    expect(out.decoded).toEqual([]);
    expect(out.rejections.map((r) => [r.record, r.code])).toEqual(cuts.map((_, i) => [i, 'undecodable-record']));
    for (const r of out.rejections) expect(r.reason).toMatch(/^governance record: truncated (message|varint)$/);
  });

  it.each([
    ['a future version', withHeader(2, 0, protobuf([])), 'undecodable-record', /unsupported record version 2; this reader understands 1/],
    ['unknown flags', withHeader(1, 0x81, protobuf([])), 'undecodable-record', /unknown record flags 0x81/],
    ['a header only', Uint8Array.from([0x47, 0x56, 1]), 'undecodable-record', /record too short: 3 bytes/],
    ['a cut-short gzip payload', withHeader(1, 1, gzipSync(Buffer.alloc(100)).subarray(0, 15)), 'undecodable-record', /not valid gzip/],
    ['empty', new Uint8Array(0), 'unrecognized-record', /^empty record: neither a governance record/],
    ['plain text', Buffer.from('hello world'), 'unrecognized-record', /first bytes 0x68656c6c/],
    ['gzip of something else', gzipSync('not json'), 'undecodable-record', /gzip record is not a CloudWatch Logs envelope/],
    ['gzip JSON of something else', gzipSync('{"hello":1}'), 'unrecognized-record', /not a CloudWatch Logs DATA_MESSAGE or CONTROL_MESSAGE/],
  ])('rejects %s', (_what, data, code, reason) => {
    const out = run([data]);
    expect(out.decoded).toEqual([]);
    expect(out.rejections).toEqual([{ record: 0, code, reason: expect.stringMatching(reason) }]);
  });

  it('refuses a gzip bomb past the 16 MiB decode cap, in either kind of record', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_PAYLOAD_BYTES + 1));
    const envelopeBomb = gzipSync(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"${' '.repeat(MAX_DECODED_PAYLOAD_BYTES)}"}]}`);
    expect(bomb.length).toBeLessThan(100_000);
    const out = run([withHeader(1, 1, bomb), envelopeBomb]);
    expect(out.rejections.map((r) => [r.code, r.reason])).toEqual([
      ['undecodable-record', 'governance record: record payload decompresses to more than 16777216 bytes'],
      ['undecodable-record', 'gzip record decompresses to more than 16777216 bytes'],
    ]);
  });

  it('survives random bytes, bare or behind a valid header', () => {
    const random = seededIds(99);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random.next() * 256));
    const records = Array.from({ length: 400 }, (_, i) => {
      const noise = bytes(1 + Math.floor(random.next() * 2_000));
      return i % 2 === 0 ? noise : withHeader(1, 0, noise);
    });
    let out: ReturnType<typeof run> | undefined;
    expect(() => { out = run(records); }).not.toThrow();
    const rejected = new Set(out!.rejections.map((r) => r.record));
    expect(rejected.size + out!.decoded.length).toBe(records.length);
    for (const r of out!.rejections) expect(r.reason.length).toBeGreaterThan(15);
    for (const e of out!.events) expect(() => JSON.parse(e.json)).not.toThrow();
  });

  it('rejects a log line whose times are no times, keeping its neighbours', () => {
    const span = (start: unknown) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{
      traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'chat', startTimeUnixNano: start, endTimeUnixNano: '1795255200000000000',
    }] }] }] });
    const out = run([logsRecord([span('soon'), span('1e40'), span(-5), span('1795255200000000000')])]);
    expect(parsed(out.events).map((e) => e.time)).toEqual(['2026-11-21T10:00:00.000000Z']);
    expect(out.rejections.map((r) => r.reason)).toEqual([
      'OTLP/JSON log line: span "chat" startTimeUnixNano is not a time in nanoseconds: "soon"',
      'OTLP/JSON log line: span "chat" startTimeUnixNano is not a time in nanoseconds: "1e40"',
      'OTLP/JSON log line: span "chat" startTimeUnixNano is not a time in nanoseconds: -5',
    ]);
  });
});

describe('large and odd but valid records convert fully', () => {
  it('converts ~900 KB of spans', () => {
    const { tracer, ended } = collector({ idGenerator: seededIds(5) });
    const text = seededIds(6);
    for (let i = 0; i < 300; i++) tracer.startSpan(`chunk-${i}`, { attributes: { prompt: text.generateTraceId().repeat(94) } }).end();
    expect(protobuf(ended).length).toBeGreaterThan(900_000);
    const out = run([governanceRecord(ended)]);
    expect(out.rejections).toEqual([]);
    expect(out.oversize).toEqual([]);
    expect(parsed(out.events).map((e) => e.data.name)).toEqual(ended.map((s) => s.name));
  });

  it('decodes bytes that are not UTF-8 in a string attribute as U+FFFD, into valid JSON', () => {
    const { tracer, ended } = collector();
    tracer.startSpan('chat', { startTime: [T0, 0], attributes: { completion: 'PLACEHOLDER' } }).end([T0, 1]);
    const payload = Buffer.from(protobuf(ended));
    const at = payload.indexOf('PLACEHOLDER');
    Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x63, 0xe2]).copy(payload, at);
    const out = run([withHeader(1, 0, payload)]);
    expect(out.rejections).toEqual([]);
    const [event] = out.events;
    expect((JSON.parse(event!.json) as { data: Record<string, unknown> }).data.completion).toBe('a\ufffd\ufffdb\ufffd(\ufffd\ufffd\ufffdc\ufffd');
  });

  it('keeps a span of 3,000 attributes as a too-many-fields rejection while its record\'s other spans convert', () => {
    const { tracer, ended } = collector({ spanLimits: { attributeCountLimit: 5_000 } });
    tracer.startSpan('before', {}).end();
    tracer.startSpan('wide', { attributes: Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`attr.${i}`, i])) }).end();
    tracer.startSpan('after', {}).end();
    const out = run([governanceRecord(ended)]);
    expect(out.rejections).toEqual([]);
    expect(parsed(out.events).map((e) => e.data.name)).toEqual(['before', 'after']);
    expect(out.oversize).toHaveLength(1);
    const [wide] = out.oversize;
    expect([wide!.record, wide!.code, wide!.event.data.name, wide!.event.data['attr.2999']]).toEqual([0, 'too-many-fields', 'wide', 2999]);
    expect(wide!.reason).toMatch(/^event has 3013 fields; Honeycomb accepts at most 2000$/);
  });
});
