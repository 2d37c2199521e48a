/**
 * Calculated fields, a.k.a. derived columns (§7.2, §11.20), per dataset or environment-wide (__all__), with
 * Manage Queries and Columns: POST → 201, 409 on an alias already used in the same dataset (or in __all__);
 * GET lists, or with ?alias= answers one object or 404; GET/PUT by id (PUT replaces: a left-out description is
 * erased); DELETE → 204, or 409 while an SLO, trigger or board query uses the column.
 *
 * Guesses: aliases clash only within one dataset or within __all__ (a dataset column may share an alias with
 * an environment-wide one, and shadows it there), and match case-sensitively. Expressions are not parsed, only
 * checked for balanced parentheses and quotes, so a wrong function name is accepted here though not by Honeycomb.
 */
import { ALL_DATASETS } from './dataset-names.js';
import { json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { datasetCaller, decodeSegment, readObject, type DatasetCaller } from './config-request.js';
import { within, type ConfigStore, type DerivedColumn, type Scoped } from './config-store.js';
import { conflict, isoSeconds, notFound } from './problems.js';
import { queryColumns } from './query-spec.js';
import { Checks } from './validation.js';

/** The column `alias` means in `dataset`: the dataset's own, else the environment-wide one. */
export function findDerivedColumn(config: ConfigStore, scope: string, dataset: string, alias: string): Scoped<DerivedColumn> | undefined {
  const named = (d: string): Scoped<DerivedColumn> | undefined => within(config.derivedColumns, scope, d).find((dc) => dc.value.alias === alias);
  return named(dataset) ?? (dataset === ALL_DATASETS ? undefined : named(ALL_DATASETS));
}

/** What keeps `column` from being deleted: an SLO, trigger or board query that resolves its alias to it. */
function userOf(config: ConfigStore, column: Scoped<DerivedColumn>): string | undefined {
  const { scope, value: { alias } } = column;
  const resolvesHere = (dataset: string): boolean => findDerivedColumn(config, scope, dataset, alias) === column;
  const slo = config.slos.find((s) => s.scope === scope && s.value.sli.alias === alias && resolvesHere(s.dataset));
  if (slo) return `SLO "${slo.value.name}"`;
  const trigger = config.triggers.find((t) => t.scope === scope && queryColumns(t.value.query).has(alias) && resolvesHere(t.dataset));
  if (trigger) return `trigger "${trigger.value.name}"`;
  const board = config.boards.find((b) => b.scope === scope && b.value.panels.some((panel) => {
    const queryId = (panel['query_panel'] as { query_id?: unknown } | undefined)?.query_id;
    const query = config.queries.find((q) => q.scope === scope && q.value.id === queryId);
    return query !== undefined && queryColumns(query.value).has(alias) && resolvesHere(query.dataset);
  }));
  return board ? `board "${board.value.name}"` : undefined;
}

/** Unbalanced parentheses or an unterminated string; the expression language itself is not checked. */
function expressionProblem(expression: string): string | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return 'has an unmatched ")"';
  }
  if (quote) return 'has an unterminated string';
  return depth > 0 ? 'has an unmatched "("' : undefined;
}

type Fields = Pick<DerivedColumn, 'alias' | 'expression' | 'description'>;

function fields(exchange: Exchange): Fields | Reply {
  const parsed = readObject(exchange);
  if ('status' in parsed) return parsed;
  const body = parsed.fields;
  const checks = new Checks();
  const alias = checks.string(body['alias'], 'alias', { required: true, min: 1, max: 255 });
  const expression = checks.string(body['expression'], 'expression', { required: true, min: 1, max: 4095 });
  const description = checks.string(body['description'], 'description', { max: 255 });
  const problem = expression === undefined ? undefined : expressionProblem(expression);
  if (problem) checks.invalid('expression', problem);
  if (!checks.ok || alias === undefined || expression === undefined) return checks.reply()!;
  return { alias, expression, description: description ?? '' };
}

export function derivedColumnRoutes(config: ConfigStore): Route[] {
  const clash = (who: DatasetCaller, alias: string, except?: DerivedColumn): Reply | undefined => {
    const taken = within(config.derivedColumns, who.scope, who.dataset).some((dc) => dc.value.alias === alias && dc.value !== except);
    return taken ? conflict(`a derived column with the alias "${alias}" already exists`) : undefined;
  };
  const find = (who: DatasetCaller, id: string): Scoped<DerivedColumn> | undefined =>
    within(config.derivedColumns, who.scope, who.dataset).find((dc) => dc.value.id === decodeSegment(id));

  function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const input = fields(exchange);
    if ('status' in input) return input;
    const taken = clash(who, input.alias);
    if (taken) return taken;
    const now = isoSeconds(context.clock());
    const value: DerivedColumn = { id: config.nextId(), ...input, created_at: now, updated_at: now };
    config.derivedColumns.push({ scope: who.scope, dataset: who.dataset, value });
    return json(201, value);
  }

  function list(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const columns = within(config.derivedColumns, who.scope, who.dataset).map((dc) => dc.value);
    const alias = exchange.query.get('alias');
    if (alias === null) return json(200, columns);
    const found = columns.find((dc) => dc.alias === alias);
    return found ? json(200, found) : notFound('Derived column');
  }

  function get(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    return found ? json(200, found.value) : notFound('Derived column');
  }

  function update(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Derived column');
    const input = fields(exchange);
    if ('status' in input) return input;
    const taken = clash(who, input.alias, found.value);
    if (taken) return taken;
    found.value = { ...found.value, ...input, updated_at: isoSeconds(context.clock()) };
    return json(200, found.value);
  }

  function remove(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'columns');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Derived column');
    const user = userOf(config, found);
    const inUse = `the derived column "${found.value.alias}" is used by ${user}`;
    if (user) return conflict(inUse, inUse);
    config.derivedColumns.splice(config.derivedColumns.indexOf(found), 1);
    return { status: 204 };
  }

  return [
    { method: 'POST', path: /^\/1\/derived_columns\/([^/]+)$/, handle: create },
    { method: 'GET', path: /^\/1\/derived_columns\/([^/]+)$/, handle: list },
    { method: 'GET', path: /^\/1\/derived_columns\/([^/]+)\/([^/]+)$/, handle: get },
    { method: 'PUT', path: /^\/1\/derived_columns\/([^/]+)\/([^/]+)$/, handle: update },
    { method: 'DELETE', path: /^\/1\/derived_columns\/([^/]+)\/([^/]+)$/, handle: remove },
  ];
}
