/**
 * Query annotations (a name and description for a saved query; a board's query panel needs one), per dataset or
 * __all__, with Manage Queries and Columns: POST → 201, GET list/one, PUT (full replacement; the query cannot
 * change), DELETE → 204. The spec documents this API's 400s as legacy `{"error"}` bodies with fixed texts, which
 * are used as written; it lists no 422, so a missing or over-long name is a legacy 400 here too (a guess).
 */
import { error, json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { datasetCaller, decodeSegment, readObject, type DatasetCaller } from './config-request.js';
import { within, type ConfigStore, type QueryAnnotation, type Scoped } from './config-store.js';
import { isoSeconds, notFound } from './problems.js';
import { findQuery } from './queries.js';
import { Checks } from './validation.js';

type Fields = Pick<QueryAnnotation, 'name' | 'description' | 'query_id'>;

export function queryAnnotationRoutes(config: ConfigStore): Route[] {
  const find = (who: DatasetCaller, id: string): Scoped<QueryAnnotation> | undefined =>
    within(config.annotations, who.scope, who.dataset).find((a) => a.value.id === decodeSegment(id));

  /** The writable fields, or the 400 (with the spec's text when the query id is the problem). */
  function fields(who: DatasetCaller, body: Record<string, unknown>): Fields | Reply {
    const checks = new Checks();
    const name = checks.string(body['name'], 'name', { required: true, min: 1, max: 320 });
    const description = checks.string(body['description'], 'description', { max: 1023 });
    if (!checks.ok || name === undefined) return error(400, checks.details.map((d) => d.description).join('; '));
    const query = findQuery(config, who.scope, who.dataset, body['query_id']);
    if (!query) return error(400, 'Query ID included in body is invalid');
    return { name, description: description ?? '', query_id: query.id };
  }

  function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, body);
    if ('status' in input) return input;
    const now = isoSeconds(context.clock());
    const value: QueryAnnotation = { id: config.nextId(), ...input, source: 'query', created_at: now, updated_at: now };
    config.annotations.push({ scope: who.scope, dataset: who.dataset, value });
    return json(201, value);
  }

  function list(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    return json(200, within(config.annotations, who.scope, who.dataset).map((a) => a.value));
  }

  function get(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    return found ? json(200, found.value) : notFound('Query annotation');
  }

  function update(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Query annotation');
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    if (body['id'] !== undefined && body['id'] !== found.value.id) return error(400, 'Query annotation id included in body does not match URL');
    if (body['query_id'] !== undefined && body['query_id'] !== found.value.query_id) return error(400, 'queries in annotations cannot be changed');
    const input = fields(who, body);
    if ('status' in input) return input;
    found.value = { ...found.value, ...input, updated_at: isoSeconds(context.clock()) };
    return json(200, found.value);
  }

  function remove(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Query annotation');
    config.annotations.splice(config.annotations.indexOf(found), 1);
    return { status: 204 };
  }

  return [
    { method: 'POST', path: /^\/1\/query_annotations\/([^/]+)$/, handle: create },
    { method: 'GET', path: /^\/1\/query_annotations\/([^/]+)$/, handle: list },
    { method: 'GET', path: /^\/1\/query_annotations\/([^/]+)\/([^/]+)$/, handle: get },
    { method: 'PUT', path: /^\/1\/query_annotations\/([^/]+)\/([^/]+)$/, handle: update },
    { method: 'DELETE', path: /^\/1\/query_annotations\/([^/]+)\/([^/]+)$/, handle: remove },
  ];
}
