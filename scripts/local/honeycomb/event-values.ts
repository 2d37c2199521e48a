/**
 * How an event's time, sample rate and field values are read, so both events endpoints and OTLP agree:
 * time as Refinery (Honeycomb's compatible receiver) parses it (§2.1), sample rates that are missing, zero or
 * invalid count as 1, and strings longer than Honeycomb's 65,535-byte field size are cut on a UTF-8 boundary.
 */
import { HONEYCOMB_LIMITS, type EventData } from '../../../common/honeycomb/index.js';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * RFC3339 (any sub-second precision); else an integer string, where exactly 10 digits are seconds and longer
 * ones carry the fraction after the 10th digit (ms, µs, ns all work); else float seconds. A JSON number is read
 * as its decimal text. Anything else, or nothing, is the time the request arrived. Dates keep milliseconds.
 */
export function parseEventTime(value: unknown, receivedAt: Date): Date {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const ms = millisFromText(text);
  return ms !== undefined && Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime()) ? new Date(ms) : receivedAt;
}

function millisFromText(text: string): number | undefined {
  const rfc = RFC3339.exec(text);
  if (rfc) {
    const [, date, time, fraction = '', zone = 'Z'] = rfc;
    const ms = Date.parse(`${date}T${time}${fraction.slice(0, 4)}${zone.toUpperCase()}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (INTEGER.test(text)) {
    if (text.length < 10) return undefined;
    const seconds = Number(text.slice(0, 10));
    const millis = Number(text.slice(10).padEnd(3, '0').slice(0, 3));
    return seconds * 1000 + (text.startsWith('-') ? -millis : millis);
  }
  if (FLOAT.test(text)) return Math.round(Number(text) * 1000);
  return undefined;
}

/** A positive integer (or an integer string, as the X-Honeycomb-Samplerate header carries it); otherwise 1. */
export function parseSampleRate(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1;
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) return value;
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // back up off a continuation byte
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Field values as stored: nulls dropped, nested objects and arrays kept as JSON strings (a dataset's default
 * expand_json_depth is 0), long strings truncated.
 */
export function storedFields(data: Record<string, unknown>): EventData {
  const entries: [string, string | number | boolean][] = [];
  for (const [name, raw] of Object.entries(data)) {
    if (raw === null || raw === undefined) continue;
    const value = typeof raw === 'object' ? JSON.stringify(raw) : raw;
    if (typeof value === 'string') entries.push([name, truncateUtf8(value, HONEYCOMB_LIMITS.maxStringBytes)]);
    else if (typeof value === 'number' || typeof value === 'boolean') entries.push([name, value]);
  }
  return Object.fromEntries(entries); // fromEntries defines properties, so a "__proto__" field stays a field
}
