/**
 * How the configuration APIs answer errors (reference/honeycomb-api.md §7.1): RFC7807 problem details
 * (`application/problem+json`, `{status, type, title, error, detail?}`), with `type_detail` added for a 422.
 * Titles and the example texts are the spec's own. The v1 ingest and markers APIs keep the legacy
 * `{"error": …}` shape (http.ts); 401s and 403s stay legacy on every API, as the spec's examples are.
 */
import { json, type Reply } from './http.js';

export type ProblemKind = 'not-found' | 'rate-limited' | 'unparseable' | 'conflict' | 'validation-failed' | 'payload-too-large';

const TITLES: Record<ProblemKind, string> = {
  'not-found': 'The requested resource cannot be found.',
  'rate-limited': 'You have exceeded your rate limit.',
  unparseable: 'The request body could not be parsed.',
  conflict: 'Request could not be completed due to a conflict with the current state of the target resource.',
  'validation-failed': 'The provided input is invalid.',
  'payload-too-large': 'Request body is too large.',
};

/** One entry of a 422's `type_detail`. */
export interface TypeDetail {
  field: string;
  code: 'invalid' | 'missing' | 'incorrect_type' | 'already_exists';
  description: string;
}

/** Paths served by the configuration APIs, so faults and headers can answer them in their format. */
const CONFIG_API_PATH = /^\/1\/(?:datasets|derived_columns|queries|query_annotations|triggers|slos|boards)(?:\/|$)/;

export function isConfigApiPath(path: string): boolean {
  return CONFIG_API_PATH.test(path);
}

export function problem(status: number, kind: ProblemKind, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Reply {
  const body = { status, type: `https://api.honeycomb.io/problems/${kind}`, title: TITLES[kind], error, ...extra };
  return json(status, body, { 'content-type': 'application/problem+json', ...headers });
}

/** 404 for a dataset, or for an id in a collection, e.g. notFound('Trigger'). The dataset text is the spec's example. */
export function notFound(what: string): Reply {
  const message = `${what} not found`;
  return problem(404, 'not-found', message, { detail: message });
}

export function unparseable(detail: string): Reply {
  return problem(400, 'unparseable', detail);
}

/** The spec's example text for a name clash by default, with the specific clash in `detail`. */
export function conflict(detail: string, error = 'A resource by that name already exists.'): Reply {
  return problem(409, 'conflict', error, { detail });
}

export function validationFailed(details: TypeDetail[]): Reply {
  return problem(422, 'validation-failed', 'The provided input is invalid.', { type_detail: details });
}

/** The spec documents this one (for triggers) as a problem body sent as application/json. */
export function payloadTooLarge(maxBytes: number): Reply {
  const reply = problem(413, 'payload-too-large', `Body size is larger than maximum size of ${maxBytes} bytes`);
  return { ...reply, headers: { 'content-type': 'application/json' } };
}

/** 429 with the spec's example texts; `retryAt` (epoch ms) goes in `detail` and, when asked, in Retry-After. */
export function rateLimited(retryAt: number, headers: Record<string, string> = {}): Reply {
  const when = new Date(retryAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return problem(429, 'rate-limited', 'You have exceeded your rate limit.', { detail: `Please try again after ${when}.` }, headers);
}

/** ISO 8601 to the second, as the configuration APIs write created_at and updated_at. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
