/**
 * One setup run: check the key, plan, and (unless a dry run) apply in dependency order: dataset, derived columns
 * (SLIs included), triggers, SLOs, board. A plan-gated kind the plan lacks (SLOs on Free) does not stop the
 * others: every other kind is still applied, the SLOs are reported blocked and the run ends failed. A missing
 * permission stops the run before any change.
 */
import { ConfigClient, SetupError, type Json, type Kind as ApiKind } from './client.js';
import { desiredState } from './desired.js';
import { boardPanels, findAnnotation, plan, type Action, type BoardQueryPlan, type Kind } from './plan.js';

export interface SetupOptions {
  dataset: string;
  apiHost: URL;
  configKey: string;
  dryRun?: boolean;
  /** Budget for the whole run, retries included (default 120 s). */
  timeoutMs?: number;
  /** Each request's own timeout (default 10 s). */
  requestTimeoutMs?: number;
}

export interface SetupResult {
  dataset: string;
  dryRun: boolean;
  actions: Action[];
  /** Plan-feature failures (the run still applied every other kind). */
  errors: SetupError[];
  /** POST and PUT requests sent. */
  writes: number;
}

const API_KIND: Record<Exclude<Kind, 'dataset'>, 'derivedColumns' | 'triggers' | 'slos' | 'boards'> = {
  'derived column': 'derivedColumns', trigger: 'triggers', SLO: 'slos', board: 'boards',
};

const NEEDED: ApiKind[] = ['derivedColumns', 'queries', 'triggers', 'slos', 'boards'];

export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const client = new ConfigClient({
    apiHost: options.apiHost, configKey: options.configKey, deadline: Date.now() + (options.timeoutMs ?? 120_000),
    ...(options.requestTimeoutMs !== undefined && { timeoutMs: options.requestTimeoutMs }),
  });
  const key = await client.describeKey();
  if (key.type !== 'configuration') {
    throw new SetupError(`the key is a Honeycomb ${key.type || 'unknown'} key; setup needs a configuration key (HONEYCOMB_CONFIG_KEY)`, 'permission');
  }
  const missing = ConfigClient.missingPermissions(key, NEEDED);
  if (missing.length > 0) throw new SetupError(`the configuration key lacks the ${missing.map((p) => `"${p}"`).join(', ')} permission${missing.length > 1 ? 's' : ''}`, 'permission');

  const desired = desiredState(options.dataset);
  const actions = await plan(client, desired);
  if (actions[0]?.op === 'create') {
    const lacking = ConfigClient.missingPermissions(key, ['datasets']);
    if (lacking.length > 0) throw new SetupError(`dataset "${options.dataset}" does not exist and the configuration key lacks the "${lacking[0]}" permission to create it`, 'permission', 'datasets');
  }
  const errors: SetupError[] = actions.filter((a) => a.op === 'blocked').map((a) => new SetupError(a.reason ?? 'blocked', 'plan', 'slos'));
  if (!options.dryRun) await apply(client, options.dataset, actions, errors);
  return { dataset: options.dataset, dryRun: options.dryRun ?? false, actions, errors: dedupe(errors), writes: client.writes };
}

async function apply(client: ConfigClient, dataset: string, actions: Action[], errors: SetupError[]): Promise<void> {
  for (const action of actions) {
    if (action.op === 'unchanged' || action.op === 'blocked') continue;
    try {
      await applyOne(client, dataset, action);
    } catch (error) {
      // Only a plan feature lets the run go on; the other kinds do not depend on SLOs.
      if (!(error instanceof SetupError && error.reason === 'plan')) throw error;
      errors.push(error);
      for (const rest of actions) if (rest.kind === action.kind && rest.op !== 'unchanged') Object.assign(rest, { op: 'blocked', reason: error.message });
    }
  }
}

async function applyOne(client: ConfigClient, dataset: string, action: Action): Promise<void> {
  if (action.op === 'blocked') return;
  if (action.kind === 'dataset') {
    await client.createDataset(dataset);
    return;
  }
  let body: Json = action.body;
  if (action.kind === 'board') body = { ...body, panels: await boardPanelsApplied(client, dataset, action.boardQueries ?? []) };
  const kind = API_KIND[action.kind];
  if (action.op === 'create') await client.create(kind, dataset, body);
  else await client.update(kind, dataset, action.id!, body);
}

/** Saves each panel's query (ids are content-derived, so an identical spec keeps its id) and creates or updates
 * its annotation, matched by name and query id so a rerun reuses it; the panels that show them. */
async function boardPanelsApplied(client: ConfigClient, dataset: string, queries: BoardQueryPlan[]): Promise<Json[]> {
  let annotations: Json[] | undefined;
  const panels: Array<{ queryId: string; annotationId: string }> = [];
  for (const query of queries) {
    const queryId = query.id ?? (await client.createQuery(dataset, { ...query.spec }));
    let annotationId = query.id !== undefined ? query.annotationId : undefined;
    if (annotationId === undefined) {
      annotations ??= await client.listAnnotations(dataset);
      const found = findAnnotation(annotations, query.annotation.name, queryId);
      annotationId = found === undefined ? undefined : String(found['id']);
      if (found !== undefined && (found['description'] ?? '') !== query.annotation.description) {
        await client.updateAnnotation(dataset, annotationId!, { ...query.annotation, query_id: queryId });
      }
    } else if (query.annotationDrifted) {
      await client.updateAnnotation(dataset, annotationId, { ...query.annotation, query_id: queryId });
    }
    annotationId ??= await client.createAnnotation(dataset, { ...query.annotation, query_id: queryId });
    panels.push({ queryId, annotationId });
  }
  return boardPanels(panels);
}

function dedupe(errors: SetupError[]): SetupError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message));
}

/** The plan as text lines, one per action, then a count per operation. */
export function summarize(result: SetupResult): string[] {
  const verb = (op: Action['op']): string => (result.dryRun ? { create: 'would create', update: 'would update', unchanged: 'unchanged', blocked: 'blocked' }[op] : { create: 'created', update: 'updated', unchanged: 'unchanged', blocked: 'blocked' }[op]);
  const lines = [`Honeycomb setup for dataset "${result.dataset}"${result.dryRun ? ' (dry run: nothing changed)' : ''}`];
  for (const a of result.actions) {
    const detail = a.op === 'update' && a.changed ? ` (${a.changed.join(', ')})` : a.op === 'blocked' ? ` (${a.reason ?? ''})` : '';
    lines.push(`  ${verb(a.op).padEnd(12)} ${a.kind.padEnd(14)} ${a.name}${detail}`);
  }
  const count = (op: Action['op']): number => result.actions.filter((a) => a.op === op).length;
  const [created, updated] = result.dryRun ? ['to create', 'to update'] : ['created', 'updated'];
  lines.push(`${count('create')} ${created}, ${count('update')} ${updated}, ${count('unchanged')} unchanged, ${count('blocked')} blocked`);
  return lines;
}
