/**
 * Desired vs. existing, matched by a stable identity (alias for derived columns, name for triggers, SLOs and
 * boards), into create / update / unchanged actions. An existing object is unchanged when every field the desired
 * state sets has the same value there (Honeycomb adds ids, timestamps and defaults, which are not drift), so a
 * second run after an apply plans nothing but "unchanged". A kind the plan does not include is "blocked".
 */
import { ConfigClient, SetupError, type Json } from './client.js';
import type { BoardSpec, DesiredState, QuerySpec } from './desired.js';

export type Kind = 'dataset' | 'derived column' | 'trigger' | 'SLO' | 'board';
export type Op = 'create' | 'update' | 'unchanged' | 'blocked';

export interface Action {
  kind: Kind;
  name: string;
  op: Op;
  /** The existing object's id, for an update. */
  id?: string;
  /** What is sent (boards: without panels, which are built at apply time from `boardQueries`). */
  body: Json;
  /** Top-level fields that differ, for an update. */
  changed?: string[];
  /** Why a kind is blocked (a plan feature). */
  reason?: string;
  /** Boards only: each panel's query and annotation, with the ids of existing identical ones when there are. */
  boardQueries?: BoardQueryPlan[];
}

/** True when every value `desired` sets is equal in `actual`; arrays must match element for element. */
export function covers(desired: unknown, actual: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => covers(d, actual[i]));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const a = actual as Json;
    return Object.entries(desired).every(([k, v]) => v === undefined || covers(v, a[k]));
  }
  return desired === actual;
}

function compare(kind: Kind, name: string, body: Json, existing: Json | undefined): Action {
  if (existing === undefined) return { kind, name, op: 'create', body };
  const id = String(existing['id']);
  const changed = Object.keys(body).filter((k) => !covers(body[k], existing[k]));
  return changed.length === 0 ? { kind, name, op: 'unchanged', id, body } : { kind, name, op: 'update', id, body, changed };
}

function byField(items: Json[], field: string): Map<string, Json> {
  return new Map(items.map((item) => [String(item[field]), item]));
}

/** Lists a kind; a plan-gated kind the plan lacks yields undefined and a blocked reason instead of failing. */
async function listOrBlocked(list: () => Promise<Json[]>): Promise<{ items: Json[] } | { reason: string }> {
  try {
    return { items: await list() };
  } catch (error) {
    if (error instanceof SetupError && error.reason === 'plan') return { reason: error.message };
    throw error;
  }
}

/** One query panel of the board: its saved query and the annotation (name, description) that titles it. */
export interface BoardQueryPlan {
  spec: QuerySpec;
  annotation: { name: string; description: string };
  /** The saved query's id, when an identical one is saved. */
  id?: string;
  /** The id of the annotation with this name on that query, when there is one. */
  annotationId?: string;
  /** True when that annotation's description differs (it is updated in place). */
  annotationDrifted?: boolean;
}

/** The annotation each panel's query gets: the panel title, and a description naming the board. */
export function annotationFor(board: BoardSpec, caption: string): { name: string; description: string } {
  return { name: caption, description: `"${caption}" panel of the ${board.name} board` };
}

/** The annotation named `name` on query `queryId`, if any. */
export function findAnnotation(annotations: Json[], name: string, queryId: string): Json | undefined {
  return annotations.find((a) => a['name'] === name && a['query_id'] === queryId);
}

export const BOARD_COLUMNS = 2;
export const PANEL_WIDTH = 6;
export const PANEL_HEIGHT = 6;

/** The panel grid: two query panels per row, each a saved query titled by its annotation. */
export function boardPanels(panels: Array<{ queryId: string; annotationId: string }>): Json[] {
  return panels.map(({ queryId, annotationId }, i) => ({
    type: 'query',
    position: { x_coordinate: (i % BOARD_COLUMNS) * PANEL_WIDTH, y_coordinate: Math.floor(i / BOARD_COLUMNS) * PANEL_HEIGHT, width: PANEL_WIDTH, height: PANEL_HEIGHT },
    query_panel: { query_id: queryId, query_annotation_id: annotationId },
  }));
}

async function planBoard(client: ConfigClient, dataset: string, board: BoardSpec, existing: Json | undefined, datasetExists: boolean): Promise<Action> {
  const body: Json = { name: board.name, description: board.description, type: 'flexible' };
  const panels = Array.isArray(existing?.['panels']) ? (existing['panels'] as Json[]) : [];
  const annotations = datasetExists ? await client.listAnnotations(dataset) : [];
  const boardQueries: BoardQueryPlan[] = [];
  for (const [i, { caption, query }] of board.queries.entries()) {
    const annotation = annotationFor(board, caption);
    const queryId = (panels[i]?.['query_panel'] as Json | undefined)?.['query_id'];
    const saved = typeof queryId === 'string' && datasetExists ? await client.getQuery(dataset, queryId) : undefined;
    if (saved === undefined || !covers(query, saved)) {
      boardQueries.push({ spec: query, annotation });
      continue;
    }
    const found = findAnnotation(annotations, annotation.name, queryId as string);
    boardQueries.push({
      spec: query, annotation, id: queryId as string,
      ...(found !== undefined && { annotationId: String(found['id']), annotationDrifted: (found['description'] ?? '') !== annotation.description }),
    });
  }
  const action = compare('board', board.name, body, existing);
  const known = boardQueries.every((q) => q.id !== undefined && q.annotationId !== undefined && !q.annotationDrifted);
  const layoutMatches = known && covers(boardPanels(boardQueries.map((q) => ({ queryId: q.id!, annotationId: q.annotationId! }))), panels);
  if (action.op === 'unchanged' && !layoutMatches) return { ...action, op: 'update', changed: ['panels'], boardQueries };
  if (action.op === 'update' && !layoutMatches) action.changed!.push('panels');
  return { ...action, boardQueries };
}

/** Reads what exists and plans every change; makes no change itself. */
export async function plan(client: ConfigClient, desired: DesiredState): Promise<Action[]> {
  const { dataset } = desired;
  // Derived columns are listed first: a 404 there says the dataset does not exist yet.
  const existingColumns = await client.list('derivedColumns', dataset);
  const datasetExists = existingColumns !== undefined;
  const actions: Action[] = [datasetExists
    ? { kind: 'dataset', name: dataset, op: 'unchanged', body: { name: dataset } }
    : { kind: 'dataset', name: dataset, op: 'create', body: { name: dataset } }];

  const columns = byField(existingColumns ?? [], 'alias');
  for (const column of desired.derivedColumns) {
    actions.push(compare('derived column', column.alias, { ...column }, columns.get(column.alias)));
  }

  const triggers = byField((datasetExists ? await client.list('triggers', dataset) : undefined) ?? [], 'name');
  for (const trigger of desired.triggers) {
    actions.push(compare('trigger', trigger.name, { ...trigger }, triggers.get(trigger.name)));
  }

  const slos = datasetExists ? await listOrBlocked(async () => (await client.list('slos', dataset)) ?? []) : { items: [] };
  const sloByName = 'items' in slos ? byField(slos.items, 'name') : new Map<string, Json>();
  for (const slo of desired.slos) {
    if ('reason' in slos) actions.push({ kind: 'SLO', name: slo.name, op: 'blocked', body: { ...slo }, reason: slos.reason });
    else actions.push(compare('SLO', slo.name, { ...slo }, sloByName.get(slo.name)));
  }

  const boards = byField((await client.list('boards', dataset)) ?? [], 'name');
  actions.push(await planBoard(client, dataset, desired.board, boards.get(desired.board.name), datasetExists));
  return actions;
}
