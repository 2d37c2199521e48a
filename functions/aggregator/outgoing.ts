/**
 * An event on its way to Honeycomb: serialized once, with the stream record it came from (so a failure
 * maps back to a sequence number) and its size. Events Honeycomb would refuse (over 2,000 fields, or 1 MB of
 * JSON and more) are caught here, before sending, and dead-lettered with the reason.
 */
import { HONEYCOMB_LIMITS, type BatchEvent } from '../../common/honeycomb/index.js';

export interface Outgoing {
  /** Index of the source record in the Kinesis batch. */
  record: number;
  /** The /1/batch array element, serialized. */
  json: string;
  bytes: number;
}

export interface OversizeEvent {
  record: number;
  code: 'too-many-fields' | 'event-too-large';
  reason: string;
  event: BatchEvent;
}

export function toOutgoing(event: BatchEvent, record: number): Outgoing | OversizeEvent {
  let fields = 0;
  for (const _ in event.data) fields++;
  if (fields > HONEYCOMB_LIMITS.maxFields) {
    return { record, code: 'too-many-fields', reason: `event has ${fields} fields; Honeycomb accepts at most ${HONEYCOMB_LIMITS.maxFields}`, event };
  }
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes >= HONEYCOMB_LIMITS.maxEventBytes) {
    return { record, code: 'event-too-large', reason: `event is ${bytes} bytes of JSON; Honeycomb accepts less than ${HONEYCOMB_LIMITS.maxEventBytes}`, event };
  }
  return { record, json, bytes };
}

/** An event already serialized by the JSON sink; `fields` may overcount (a name in both resource and span). */
export function jsonOutgoing(json: string, record: number): Outgoing | undefined {
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes < HONEYCOMB_LIMITS.maxEventBytes ? { record, json, bytes } : undefined;
}

export function isOversize(value: Outgoing | OversizeEvent): value is OversizeEvent {
  return 'code' in value;
}
