/**
 * What every route shares: the request as a route sees it (already read, never the socket), the reply it hands
 * back, and Honeycomb's documented error strings (reference/honeycomb-api.md §2.1) so no route spells them its
 * own way. Routes are plain data, so a later API (datasets, triggers, SLOs…) is one more route file.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KeyRing } from './auth.js';
import type { PerEventFault } from './faults.js';
import type { Store } from './store.js';

export const HONEYCOMB_ERRORS = {
  unknownKey: 'unknown API key - check your credentials',
  datasetNotFound: 'dataset not found',
  emptyBody: 'Request body should not be empty.',
  malformed: 'Request body is malformed and cannot be read.',
  tooLarge: 'Request body is too large.',
  tooManyColumns: 'Event has too many columns.',
  rateLimited: 'Request dropped due to rate limiting.',
  denylisted: 'Event dropped due to administrative denylist',
  throttled: 'Event dropped due to administrative throttling',
} as const;

export interface Exchange {
  method: string;
  /** Still percent-encoded, so an encoded slash (%2F) in a dataset name can be told from a real one. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What a route may read and change; one per stand-in, plus the fault chosen for this request. */
export interface RouteContext {
  store: Store;
  keys: KeyRing;
  clock: () => number;
  maxBatchBytes: number;
  /** What a key lacking a permission gets: the real code is unconfirmed (§11.6), so tests can pick. */
  permissionDeniedStatus: 401 | 403;
  perEventFault?: PerEventFault;
}

export interface Route {
  method: string;
  /** Tested against the raw path; capture groups are handed to `handle` still encoded. */
  path: RegExp;
  handle(exchange: Exchange, params: string[], context: RouteContext): Reply;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** The legacy `{"error": "…"}` shape the v1 ingest and markers APIs answer with. */
export function error(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return json(status, { error: message }, headers);
}

/** One header's value ('' when absent); node has already lower-cased the names. */
export function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** A JSON request body as an object, or undefined when it is not one. Empty means `{}`. */
export function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
