import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { OtlpResourceSpans } from '../../common/otlp/index.js';
import { decodeRecord } from '../../functions/aggregator/records.js';
import { collector, governanceRecord, logsRecord, otlpJson, T0 } from '../support/otlp.js';

const spansOf = (requests: OtlpResourceSpans[][]) => requests.flat().flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
const REQUEST_ID = '8f5e2c1a-0b9d-4e7f-a3c6-1d2e3f4a5b6c';

function spans(names: string[], attributes: Record<string, string> = {}) {
  const { tracer, ended } = collector();
  for (const name of names) tracer.startSpan(name, { kind: SpanKind.CLIENT, startTime: [T0, 0], attributes }).end([T0, 5_000_000]);
  return ended;
}

describe('decodeRecord: governance records', () => {
  it('decodes a plain record into the spans the SDK made', () => {
    const made = spans(['retrieve', 'chat claude-haiku-4'], { 'genops.team': 'ai-eng' });
    const record = governanceRecord(made);
    expect(record[3]).toBe(0);
    const out = decodeRecord(record);
    expect(out.rejections).toEqual([]);
    expect(out.ignoredLines).toBe(0);
    expect(out.requests[0]![0]!.resource).toEqual({ 'service.name': 'checkout' });
    expect(spansOf(out.requests).map((s) => [s.traceId, s.spanId, s.name, s.kind, s.attributes])).toEqual(
      made.map((s) => [s.spanContext().traceId, s.spanContext().spanId, s.name, 3, { 'genops.team': 'ai-eng' }]));
  });

  it('decodes a gzip record', () => {
    const made = spans(Array.from({ length: 200 }, (_, i) => `span-${i}`), { prompt: 'summarize the quarterly report '.repeat(10) });
    const record = governanceRecord(made);
    expect(record[3]).toBe(1);
    const out = decodeRecord(record);
    expect(out.rejections).toEqual([]);
    expect(spansOf(out.requests).map((s) => s.spanId)).toEqual(made.map((s) => s.spanContext().spanId));
  });
});

describe('decodeRecord: CloudWatch Logs subscription records', () => {
  it('decodes OTLP/JSON lines, whole or after Lambda\'s text prefix, and counts the other lines as ignored', () => {
    const whole = otlpJson(spans(['from-whole-line']));
    const prefixed = `2026-11-21T10:00:00.000Z\t${REQUEST_ID}\tINFO\t${otlpJson(spans(['from-prefixed-line'], { 'genops.project': 'search' }))}\n`;
    const out = decodeRecord(logsRecord([
      `START RequestId: ${REQUEST_ID} Version: $LATEST\n`,
      whole,
      `2026-11-21T10:00:00.001Z\t${REQUEST_ID}\tINFO\tcharging card\n`,
      prefixed,
      `END RequestId: ${REQUEST_ID}\n`,
      `REPORT RequestId: ${REQUEST_ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\n`,
    ]));
    expect(out.rejections).toEqual([]);
    expect(out.ignoredLines).toBe(4);
    const decoded = spansOf(out.requests);
    expect(decoded.map((s) => s.name)).toEqual(['from-whole-line', 'from-prefixed-line']);
    expect(decoded[1]).toMatchObject({ kind: 3, startTimeUnixNano: T0 * 1e9, attributes: { 'genops.project': 'search' } });
    expect(decoded[1]!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('delivers nothing and rejects nothing for a CONTROL_MESSAGE', () => {
    const out = decodeRecord(logsRecord(['CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.'], 'CONTROL_MESSAGE'));
    expect(out).toEqual({ requests: [], rejections: [], ignoredLines: 0 });
  });

  it('rejects a bad OTLP line with the line itself while the good lines of the record still decode', () => {
    const badId = `${REQUEST_ID}\tINFO\t{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex","spanId":"01","name":"broken"}]}]}]}`;
    const cut = otlpJson(spans(['cut-short'])).slice(0, 80);
    const out = decodeRecord(logsRecord([badId, otlpJson(spans(['good'])), cut]));
    expect(spansOf(out.requests).map((s) => s.name)).toEqual(['good']);
    expect(out.rejections).toEqual([
      { code: 'undecodable-log-line', reason: expect.stringMatching(/span "broken" has an invalid trace or span id/), line: badId },
      { code: 'undecodable-log-line', reason: expect.stringMatching(/not valid JSON/), line: cut },
    ]);
  });
});
