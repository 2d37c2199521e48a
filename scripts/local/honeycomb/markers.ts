/**
 * The Markers API (§5, §11.19): configuration keys with the markers permission create, list, replace and
 * delete markers on an existing dataset or on __all__ (environment-wide). Times are unix seconds and default to
 * now; ids are hex from a counter. Marker settings (colours) are not modelled, so markers carry no `color`.
 */
import { authenticate, permit, scopeOf, type KeyRecord } from './auth.js';
import { ALL_DATASETS, datasetFromPath } from './dataset-names.js';
import { error, HONEYCOMB_ERRORS, json, jsonObject, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import type { Marker, StoredMarker } from './store.js';

interface MarkerTarget { key: KeyRecord; scope: string; dataset: string }
type MarkerFields = Partial<Omit<Marker, 'id' | 'created_at' | 'updated_at'>>;

/** The calling key and the dataset (slug, or __all__) the markers belong to, or the refusal. */
function markerTarget(exchange: Exchange, segment: string, context: RouteContext): MarkerTarget | Reply {
  const key = authenticate(exchange, context);
  if ('status' in key) return key;
  const denied = permit(key, 'markers', context);
  if (denied) return denied;
  if (segment === ALL_DATASETS) return { key, scope: scopeOf(key), dataset: ALL_DATASETS };
  const dataset = datasetFromPath(segment, key, context, false); // a marker needs the dataset to exist already
  if ('status' in dataset) return dataset;
  return { key, scope: scopeOf(key), dataset: dataset.slug };
}

/** The writable fields of a request body, or undefined when it is not a marker. */
function markerFields(body: Buffer): MarkerFields | undefined {
  const input = jsonObject(body);
  if (!input) return undefined;
  const fields: MarkerFields = {};
  for (const name of ['start_time', 'end_time'] as const) {
    const value = input[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    fields[name] = Math.trunc(value);
  }
  for (const name of ['message', 'type', 'url'] as const) {
    const value = input[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return undefined;
    fields[name] = value;
  }
  return fields;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function find(context: RouteContext, target: MarkerTarget, id: string): StoredMarker | undefined {
  return context.store.markers.find((m) => m.scope === target.scope && m.dataset === target.dataset && m.marker.id === id);
}

function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
  const target = markerTarget(exchange, segment, context);
  if ('status' in target) return target;
  const fields = markerFields(exchange.body);
  if (!fields) return error(400, HONEYCOMB_ERRORS.malformed);
  const now = context.clock();
  const marker: Marker = {
    id: context.store.nextMarkerId(), created_at: isoSeconds(now), updated_at: isoSeconds(now),
    ...fields, start_time: fields.start_time ?? Math.floor(now / 1000),
  };
  context.store.markers.push({ dataset: target.dataset, scope: target.scope, marker });
  return json(201, marker);
}

function list(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
  const target = markerTarget(exchange, segment, context);
  if ('status' in target) return target;
  return json(200, context.store.markers.filter((m) => m.scope === target.scope && m.dataset === target.dataset).map((m) => m.marker));
}

/** PUT replaces the marker: a field left out of the body is erased (start_time falls back to now, as on create). */
function replace(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
  const target = markerTarget(exchange, segment, context);
  if ('status' in target) return target;
  const stored = find(context, target, id);
  if (!stored) return error(404, 'marker not found');
  const fields = markerFields(exchange.body);
  if (!fields) return error(400, HONEYCOMB_ERRORS.malformed);
  const now = context.clock();
  stored.marker = {
    id: stored.marker.id, created_at: stored.marker.created_at, updated_at: isoSeconds(now),
    ...fields, start_time: fields.start_time ?? Math.floor(now / 1000),
  };
  return json(200, stored.marker);
}

function remove(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
  const target = markerTarget(exchange, segment, context);
  if ('status' in target) return target;
  const stored = find(context, target, id);
  if (!stored) return error(404, 'marker not found');
  context.store.markers.splice(context.store.markers.indexOf(stored), 1);
  return json(200, stored.marker);
}

export const markerRoutes: Route[] = [
  { method: 'POST', path: /^\/1\/markers\/([^/]+)$/, handle: create },
  { method: 'GET', path: /^\/1\/markers\/([^/]+)$/, handle: list },
  { method: 'PUT', path: /^\/1\/markers\/([^/]+)\/([^/]+)$/, handle: replace },
  { method: 'DELETE', path: /^\/1\/markers\/([^/]+)\/([^/]+)$/, handle: remove },
];
