/**
 * Saved queries (§7.2 Queries): POST /1/queries/{dataset or __all__} checks the spec (422 otherwise), saves it
 * without running it and answers **200** with the spec and its `id`; GET /1/queries/{dataset}/{id} reads it back
 * (404 in another dataset). Manage Queries and Columns. Triggers and boards refer to queries by id.
 *
 * Guess: ids are content-addressed (the same spec in the same dataset gets the same id), as Honeycomb's query
 * ids appear to be; nothing a client should rely on either way.
 */
import { json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { datasetCaller, decodeSegment, readObject } from './config-request.js';
import { base62Id, within, type ConfigStore, type SavedQuery } from './config-store.js';
import { notFound } from './problems.js';
import { checkQuerySpec } from './query-spec.js';
import { Checks } from './validation.js';

/** JSON with object keys sorted, so equal specs written in another key order get the same id. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Saves a checked spec (or finds the same one already saved) in `dataset`. */
export function saveQuery(config: ConfigStore, scope: string, dataset: string, spec: Record<string, unknown>): SavedQuery {
  const id = base62Id(`query\n${scope}\n${dataset}\n${canonical(spec)}`);
  const existing = within(config.queries, scope, dataset).find((q) => q.value.id === id);
  if (existing) return existing.value;
  const value: SavedQuery = { id, ...spec };
  config.queries.push({ scope, dataset, value });
  return value;
}

export function findQuery(config: ConfigStore, scope: string, dataset: string, id: unknown): SavedQuery | undefined {
  return within(config.queries, scope, dataset).find((q) => q.value.id === id)?.value;
}

export function queryRoutes(config: ConfigStore): Route[] {
  function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const checks = new Checks();
    const spec = checkQuerySpec(body, checks);
    if (!checks.ok) return checks.reply()!;
    return json(200, saveQuery(config, who.scope, who.dataset, spec));
  }

  function get(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const query = findQuery(config, who.scope, who.dataset, decodeSegment(id));
    return query ? json(200, query) : notFound('Query');
  }

  return [
    { method: 'POST', path: /^\/1\/queries\/([^/]+)$/, handle: create },
    { method: 'GET', path: /^\/1\/queries\/([^/]+)\/([^/]+)$/, handle: get },
  ];
}
