/**
 * Writes Honeycomb events straight to JSON text, the aggregator's hot path: the mapping in
 * common/honeycomb/span-events.ts writes each field once into this sink instead of into an object that
 * JSON.stringify walks again, and a resource's attributes are serialized once for all its spans.
 * A span attribute with the same name as a resource attribute comes later in the text and wins, as in husky.
 */
import type { FieldSink, FieldValue } from '../../common/honeycomb/index.js';
import type { Attributes } from '../../common/otlp/index.js';
import { writeAttributes } from '../../common/honeycomb/index.js';

/** Field names repeat across events; their JSON form is kept (bounded, in case names are unbounded). */
const keyJson = new Map<string, string>();
const MAX_CACHED_KEYS = 10_000;

function jsonKey(name: string): string {
  let key = keyJson.get(name);
  if (key === undefined) {
    key = JSON.stringify(name);
    if (keyJson.size < MAX_CACHED_KEYS) keyJson.set(name, key);
  }
  return key;
}

/** Characters JSON must escape, and lone surrogates (which JSON.stringify escapes too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonValue(value: FieldValue): string {
  // Most values need no escaping; quoting them directly skips JSON.stringify's per-call cost.
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return value ? 'true' : 'false';
}

export class JsonFieldSink implements FieldSink {
  public text = '';
  /** Fields written, counting a name written twice (resource and span) twice: an upper bound. */
  public count = 0;

  public reset(prefix = '', prefixCount = 0): this {
    this.text = prefix;
    this.count = prefixCount;
    return this;
  }

  public set(name: string, value: FieldValue): void {
    this.text += `${this.text === '' ? '' : ','}${jsonKey(name)}:${jsonValue(value)}`;
    this.count++;
  }
}

/** A resource's attributes as a JSON fragment, written once per ResourceSpans. */
export function resourceFragment(resource: Attributes): { json: string; count: number } {
  const sink = new JsonFieldSink();
  writeAttributes(sink, resource);
  return { json: sink.text, count: sink.count };
}

/** The /1/batch element for fields written by a JsonFieldSink. */
export function batchEventJson(fields: string, time: string, samplerate: number): string {
  return `{"data":{${fields}},"time":"${time}"${samplerate === 1 ? '' : `,"samplerate":${samplerate}`}}`;
}
