/**
 * What every configuration endpoint does before its own work (§1, §7): the key (401 when unknown), the
 * permission its group needs (401, or 403 naming it, see auth.ts), then the dataset in the path, which must
 * already exist (404 problem; __all__ where the endpoint allows it), and a JSON object body: gzip is read,
 * over 100,000 bytes is a 413 (the cap the spec gives for triggers, applied to every kind here), and anything
 * unreadable is a 400 `unparseable` problem.
 */
import { authenticate, permit, refuse, scopeOf, type KeyRecord, type Permissions } from './auth.js';
import { decodeBody } from './body.js';
import { ALL_DATASETS, datasetFromPath } from './dataset-names.js';
import { header, isPlainObject, type Exchange, type Reply, type RouteContext } from './http.js';
import { notFound, payloadTooLarge, unparseable } from './problems.js';

export const MAX_CONFIG_BODY_BYTES = 100_000;

export interface Caller { key: KeyRecord; scope: string }

export interface DatasetCaller extends Caller {
  /** The dataset's slug, or __all__. */
  dataset: string;
  /** As first written ('' for __all__). */
  datasetName: string;
}

export function caller(exchange: Exchange, context: RouteContext, permission: keyof Permissions): Caller | Reply {
  const key = authenticate(exchange, context);
  if ('status' in key) return key;
  // Configuration APIs take configuration keys only, even where an ingest key holds the permission (createDatasets).
  const denied = key.type === 'ingest' ? refuse(key, permission, context) : permit(key, permission, context);
  if (denied) return denied;
  return { key, scope: scopeOf(key) };
}

export function datasetCaller(exchange: Exchange, segment: string, context: RouteContext, permission: keyof Permissions): DatasetCaller | Reply {
  const who = caller(exchange, context, permission);
  if ('status' in who) return who;
  if (segment === ALL_DATASETS) return { ...who, dataset: ALL_DATASETS, datasetName: '' };
  const dataset = datasetFromPath(segment, who.key, context, false);
  if ('status' in dataset) return notFound('Dataset');
  return { ...who, dataset: dataset.slug, datasetName: dataset.name };
}

/** A request body's fields, wrapped so a Reply (which has `status`) can be told from a body that has one. */
export interface Body { fields: Record<string, unknown> }

export function readObject(exchange: Exchange): Body | Reply {
  const decoded = decodeBody(exchange.body, header(exchange.headers, 'content-encoding'), MAX_CONFIG_BODY_BYTES);
  if (!decoded.ok) return decoded.problem === 'tooLarge' ? payloadTooLarge(MAX_CONFIG_BODY_BYTES) : unparseable(decoded.detail);
  const text = decoded.body.toString('utf8');
  // An empty body is unreadable rather than an empty object: every create and update needs fields.
  if (text.trim() === '') return unparseable('request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (failure) {
    return unparseable((failure as Error).message);
  }
  return isPlainObject(value) ? { fields: value } : unparseable('request body must be a JSON object');
}

/** Decodes a path segment (an id); undefined when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
