/**
 * Boards (§7.2, the flexible boards the spec documents), per environment, with Manage Public Boards: POST → 201,
 * GET list/one, PUT (full replacement, except that leaving out preset_filters keeps them, as the spec says),
 * DELETE → 204. Panels are query (a saved query plus an annotation of that query), slo or text panels; what a
 * panel names must exist in the environment (422 otherwise). The answer adds id and links.board_url, fills a
 * query panel's read-only `dataset`, and leaves out the write-only layout_generation. Views are not served.
 *
 * Guess: a query or SLO a board shows can still be deleted (nothing documents a 409 for that).
 */
import { ALL_DATASETS } from './dataset-names.js';
import { json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { caller, decodeSegment, readObject, type Caller } from './config-request.js';
import type { Board, ConfigStore, Scoped } from './config-store.js';
import { notFound } from './problems.js';
import { Checks } from './validation.js';

type Fields = Omit<Board, 'id' | 'links'>;

export function boardRoutes(config: ConfigStore): Route[] {
  const find = (who: Caller, id: string): Scoped<Board> | undefined =>
    config.boards.find((b) => b.scope === who.scope && b.value.id === decodeSegment(id));

  function position(value: unknown, at: string, checks: Checks): Record<string, unknown> | undefined {
    const place = checks.object(value, at);
    if (place) for (const axis of ['x_coordinate', 'y_coordinate', 'height', 'width']) checks.integer(place[axis], `${at}.${axis}`, { min: 0 });
    return place;
  }

  /** One panel as stored, or undefined after reporting why it cannot be. */
  function panel(item: unknown, at: string, who: Caller, checks: Checks, context: RouteContext): Record<string, unknown> | undefined {
    const input = checks.object(item, at, true);
    if (!input) return undefined;
    const type = checks.string(input['type'], `${at}.type`, { required: true, oneOf: ['query', 'slo', 'text'] });
    const place = position(input['position'], `${at}.position`, checks);
    const base = { type, ...(place ? { position: place } : {}) };
    if (type === 'query') {
      const spec = checks.object(input['query_panel'], `${at}.query_panel`, true);
      if (!spec) return undefined;
      const queryId = checks.string(spec['query_id'], `${at}.query_panel.query_id`, { required: true, min: 1 });
      const annotationId = checks.string(spec['query_annotation_id'], `${at}.query_panel.query_annotation_id`, { required: true, min: 1 });
      checks.string(spec['query_style'], `${at}.query_panel.query_style`, { oneOf: ['graph', 'table', 'combo'] });
      checks.object(spec['visualization_settings'], `${at}.query_panel.visualization_settings`);
      const query = config.queries.find((q) => q.scope === who.scope && q.value.id === queryId);
      const annotation = config.annotations.find((a) => a.scope === who.scope && a.value.id === annotationId);
      if (queryId !== undefined && !query) checks.invalid(`${at}.query_panel.query_id`, `no saved query ${queryId} in this environment`);
      if (annotationId !== undefined && !annotation) checks.invalid(`${at}.query_panel.query_annotation_id`, `no query annotation ${annotationId} in this environment`);
      else if (annotation && queryId !== undefined && annotation.value.query_id !== queryId) {
        checks.invalid(`${at}.query_panel.query_annotation_id`, `annotation ${annotationId} describes query ${annotation.value.query_id}, not ${queryId}`);
      }
      const dataset = query === undefined || query.dataset === ALL_DATASETS ? '' : context.store.findDataset(who.scope, query.dataset)?.name ?? query.dataset;
      return { ...base, query_panel: { ...spec, dataset } };
    }
    if (type === 'slo') {
      const spec = checks.object(input['slo_panel'], `${at}.slo_panel`, true);
      const sloId = spec && checks.string(spec['slo_id'], `${at}.slo_panel.slo_id`, { required: true, min: 1 });
      if (sloId !== undefined && !config.slos.some((s) => s.scope === who.scope && s.value.id === sloId)) {
        checks.invalid(`${at}.slo_panel.slo_id`, `no SLO ${sloId} in this environment`);
      }
      return spec && { ...base, slo_panel: spec };
    }
    if (type === 'text') {
      const spec = checks.object(input['text_panel'], `${at}.text_panel`, true);
      if (spec) checks.string(spec['content'], `${at}.text_panel.content`, { required: true, max: 10_000 });
      return spec && { ...base, text_panel: spec };
    }
    return undefined;
  }

  function fields(who: Caller, body: Record<string, unknown>, context: RouteContext, previous?: Board): Fields | Reply {
    const checks = new Checks();
    const name = checks.string(body['name'], 'name', { required: true, min: 1, max: 255 });
    const description = checks.string(body['description'], 'description', { max: 1024 });
    const type = checks.string(body['type'], 'type', { required: true, oneOf: ['flexible'] });
    checks.string(body['layout_generation'], 'layout_generation', { oneOf: ['auto', 'manual'] });
    const panels = (checks.array(body['panels'], 'panels') ?? []).flatMap<Record<string, unknown>>((item, i) => panel(item, `panels[${i}]`, who, checks, context) ?? []);
    const tags = checks.tags(body['tags']);
    const presets = checks.array(body['preset_filters'], 'preset_filters', { max: 5 });
    presets?.forEach((item, i) => {
      const preset = checks.object(item, `preset_filters[${i}]`, true);
      if (!preset) return;
      checks.string(preset['column'], `preset_filters[${i}].column`, { required: true, min: 1 });
      checks.string(preset['alias'], `preset_filters[${i}].alias`, { required: true, min: 1, max: 50 });
    });
    if (!checks.ok || name === undefined || type !== 'flexible') return checks.reply()!;
    return {
      name, description: description ?? '', type, panels, tags: tags ?? [],
      preset_filters: (presets as Record<string, unknown>[] | undefined) ?? previous?.preset_filters ?? [],
    };
  }

  function boardUrl(who: Caller, id: string): string {
    const environment = who.key.classic ? '' : `/environments/${who.key.environment.slug}`;
    return `https://ui.honeycomb.io/${who.key.team.slug}${environment}/board/${id}`;
  }

  function create(exchange: Exchange, _params: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'boards');
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, body, context);
    if ('status' in input) return input;
    const id = config.nextId();
    const value: Board = { id, ...input, links: { board_url: boardUrl(who, id) } };
    config.boards.push({ scope: who.scope, dataset: '', value });
    return json(201, value);
  }

  function list(exchange: Exchange, _params: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'boards');
    if ('status' in who) return who;
    return json(200, config.boards.filter((b) => b.scope === who.scope).map((b) => b.value));
  }

  function get(exchange: Exchange, [id = '']: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'boards');
    if ('status' in who) return who;
    const found = find(who, id);
    return found ? json(200, found.value) : notFound('Board');
  }

  function update(exchange: Exchange, [id = '']: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'boards');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Board');
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, body, context, found.value);
    if ('status' in input) return input;
    found.value = { id: found.value.id, ...input, links: found.value.links };
    return json(200, found.value);
  }

  function remove(exchange: Exchange, [id = '']: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'boards');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Board');
    config.boards.splice(config.boards.indexOf(found), 1);
    return { status: 204 };
  }

  return [
    { method: 'POST', path: /^\/1\/boards$/, handle: create },
    { method: 'GET', path: /^\/1\/boards$/, handle: list },
    { method: 'GET', path: /^\/1\/boards\/([^/]+)$/, handle: get },
    { method: 'PUT', path: /^\/1\/boards\/([^/]+)$/, handle: update },
    { method: 'DELETE', path: /^\/1\/boards\/([^/]+)$/, handle: remove },
  ];
}
