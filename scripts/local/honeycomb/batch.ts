/**
 * The events endpoints (§2.1, §2.2, §11.8–13, §11.16). POST /1/batch/{dataset}: whole-request checks first
 * (key, dataset, encoding, size, JSON array), then a 200 whose array matches the request one for one:
 * 202 for a stored event, 400 with Honeycomb's reason otherwise. POST /1/events/{dataset}: one event's fields,
 * time and sample rate in headers, an empty 200. JSON only: msgpack bodies are not read.
 */
import { HONEYCOMB_LIMITS, type BatchEventStatus } from '../../../common/honeycomb/index.js';
import { authenticate, permit, type KeyRecord } from './auth.js';
import { decodeBody } from './body.js';
import { datasetFromPath, materialize, type DatasetTarget } from './dataset-names.js';
import { parseEventTime, parseSampleRate, storedFields } from './event-values.js';
import { faultErrorText } from './faults.js';
import { error, header, HONEYCOMB_ERRORS, isPlainObject, json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';

/** The single-event endpoint caps the raw (possibly compressed) body at 1 MB. */
const MAX_SINGLE_EVENT_BYTES = 1_000_000;

interface Accepted { key: KeyRecord; target: DatasetTarget; body: Buffer }

/** What both endpoints check before looking at events: key, permission, dataset, a readable body within the caps. */
function accept(exchange: Exchange, segment: string, context: RouteContext, maxBytes: number, maxRawBytes = maxBytes): Accepted | Reply {
  const key = authenticate(exchange, context);
  if ('status' in key) return key;
  const denied = permit(key, 'events', context);
  if (denied) return denied;
  const target = datasetFromPath(segment, key, context, true);
  if ('status' in target) return target;
  if (exchange.body.length > maxRawBytes) return error(400, HONEYCOMB_ERRORS.tooLarge);
  const decoded = decodeBody(exchange.body, header(exchange.headers, 'content-encoding'), maxBytes);
  if (!decoded.ok) return error(400, decoded.problem === 'tooLarge' ? HONEYCOMB_ERRORS.tooLarge : HONEYCOMB_ERRORS.malformed);
  if (decoded.body.toString('utf8').trim() === '') return error(400, HONEYCOMB_ERRORS.emptyBody);
  return { key, target, body: decoded.body };
}

/** Why one event's fields cannot be stored, in Honeycomb's words; undefined when they can. */
function fieldsProblem(data: unknown): string | undefined {
  if (data === undefined || data === null) return HONEYCOMB_ERRORS.emptyBody;
  if (!isPlainObject(data)) return HONEYCOMB_ERRORS.malformed;
  const count = Object.keys(data).length;
  if (count === 0) return HONEYCOMB_ERRORS.emptyBody;
  if (count > HONEYCOMB_LIMITS.maxFields) return HONEYCOMB_ERRORS.tooManyColumns;
  return undefined;
}

function batchEventProblem(element: unknown): string | undefined {
  if (!isPlainObject(element)) return HONEYCOMB_ERRORS.malformed;
  const problem = fieldsProblem(element.data);
  if (problem) return problem;
  // Whether an oversize event fails alone or takes the request with it is unconfirmed (§11.11); here it fails alone.
  if (Buffer.byteLength(JSON.stringify(element)) >= HONEYCOMB_LIMITS.maxEventBytes) return HONEYCOMB_ERRORS.tooLarge;
  return undefined;
}

function batch(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
  const accepted = accept(exchange, segment, context, context.maxBatchBytes);
  if ('status' in accepted) return accepted;
  let elements: unknown;
  try {
    elements = JSON.parse(accepted.body.toString('utf8'));
  } catch {
    return error(400, HONEYCOMB_ERRORS.malformed);
  }
  if (!Array.isArray(elements)) return error(400, HONEYCOMB_ERRORS.malformed);
  const receivedAt = new Date(context.clock());
  const fault = context.perEventFault;
  const statuses = elements.map((element: unknown, index): BatchEventStatus => {
    const problem = batchEventProblem(element);
    if (problem) return { status: 400, error: problem };
    if (fault && (fault.select?.(index) ?? true)) return { status: fault.status, error: faultErrorText(fault.status, fault.error) };
    const event = element as { data: Record<string, unknown>; time?: unknown; samplerate?: unknown };
    const dataset = materialize(accepted.target, accepted.key, context);
    context.store.events.push({
      dataset: dataset.slug, environment: dataset.environment, time: parseEventTime(event.time, receivedAt),
      samplerate: parseSampleRate(event.samplerate), data: storedFields(event.data), receivedAt, keyId: accepted.key.id,
    });
    return { status: 202 };
  });
  return json(200, statuses);
}

function single(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
  // The raw (possibly compressed) body is capped at 1 MB; decompressed, the event must be under 1,000,000 bytes.
  const accepted = accept(exchange, segment, context, HONEYCOMB_LIMITS.maxEventBytes - 1, MAX_SINGLE_EVENT_BYTES);
  if ('status' in accepted) return accepted;
  let data: unknown;
  try {
    data = JSON.parse(accepted.body.toString('utf8'));
  } catch {
    return error(400, HONEYCOMB_ERRORS.malformed);
  }
  const problem = fieldsProblem(data);
  if (problem) return error(400, problem);
  const receivedAt = new Date(context.clock());
  const dataset = materialize(accepted.target, accepted.key, context);
  context.store.events.push({
    dataset: dataset.slug, environment: dataset.environment,
    time: parseEventTime(header(exchange.headers, 'x-honeycomb-event-time') || undefined, receivedAt),
    samplerate: parseSampleRate(header(exchange.headers, 'x-honeycomb-samplerate')),
    data: storedFields(data as Record<string, unknown>), receivedAt, keyId: accepted.key.id,
  });
  return { status: 200 };
}

export const batchRoutes: Route[] = [
  { method: 'POST', path: /^\/1\/batch\/([^/]+)$/, handle: batch },
  { method: 'POST', path: /^\/1\/events\/([^/]+)$/, handle: single },
];
