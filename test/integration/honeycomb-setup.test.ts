/**
 * npm run honeycomb:setup against the Honeycomb stand-in on 127.0.0.1: a first run creates everything, a second
 * changes nothing, a dry run changes nothing, drift is repaired, a missing permission or plan feature fails with
 * a message naming it, a 429 is retried, and the key never shows in the output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HoneycombStandIn } from '../../scripts/local/honeycomb/index.js';
import { SetupError } from '../../scripts/honeycomb-setup/client.js';
import { desiredState } from '../../scripts/honeycomb-setup/desired.js';
import { runSetup, type SetupOptions } from '../../scripts/honeycomb-setup/setup.js';
import { ROOT } from '../support/paths.js';

const DATASET = 'genops-ai';
const desired = desiredState(DATASET);

let standIn: HoneycombStandIn;

beforeAll(async () => {
  standIn = await HoneycombStandIn.start();
});
afterAll(async () => {
  await standIn.stop();
});
beforeEach(() => {
  standIn.reset();
  standIn.addDataset(DATASET);
});

function options(overrides: Partial<SetupOptions> = {}): SetupOptions {
  return { dataset: DATASET, apiHost: new URL(standIn.url), configKey: standIn.configKey, timeoutMs: 20_000, ...overrides };
}

/** Config-API writes the stand-in saw (POST/PUT/DELETE on /1/…). */
function writes(server: HoneycombStandIn = standIn): number {
  return server.requests.filter((r) => r.method !== 'GET' && /^\/1\//.test(r.path)).length;
}

/** Reads the stand-in's state over its own API with its all-permission key. */
async function get<T>(path: string, server: HoneycombStandIn = standIn): Promise<T> {
  const response = await fetch(new URL(path, server.url), { headers: { 'x-honeycomb-team': server.configKey } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/honeycomb-setup/index.ts'), ...args], {
      cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('honeycomb:setup', () => {
  it('creates every derived column, trigger, SLO and the board on the first run', async () => {
    const result = await runSetup(options());

    expect(result.errors).toEqual([]);
    expect(result.actions.filter((a) => a.kind !== 'dataset').every((a) => a.op === 'create')).toBe(true);
    const columns = await get<Array<{ alias: string; expression: string }>>(`/1/derived_columns/${DATASET}`);
    for (const column of desired.derivedColumns) {
      expect(columns.find((c) => c.alias === column.alias)?.expression, column.alias).toBe(column.expression);
    }
    const triggers = await get<Array<{ name: string; threshold: { op: string; value: number }; frequency: number }>>(`/1/triggers/${DATASET}`);
    expect(triggers.map((t) => t.name).sort()).toEqual(desired.triggers.map((t) => t.name).sort());
    expect(triggers.find((t) => t.name === 'AI Budget Utilization >= 90%')).toMatchObject({ threshold: { op: '>=', value: 90 }, frequency: 300 });
    const slos = await get<Array<{ name: string; sli: { alias: string }; target_per_million: number }>>(`/1/slos/${DATASET}`);
    expect(slos.map((s) => s.name).sort()).toEqual(desired.slos.map((s) => s.name).sort());
    expect(slos.find((s) => s.name === 'Policy Compliance SLO')).toMatchObject({ sli: { alias: 'sli_policy_compliance' }, target_per_million: 999_000 });
    const boards = await get<Array<{ name: string; panels: Array<{ query_panel: { query_id: string; query_annotation_id: string } }> }>>('/1/boards');
    const board = boards.find((b) => b.name === desired.board.name);
    expect(board?.panels).toHaveLength(desired.board.queries.length);
    const annotations = await get<Array<{ id: string; name: string; query_id: string }>>(`/1/query_annotations/${DATASET}`);
    board!.panels.forEach((panel, i) => {
      const annotation = annotations.find((a) => a.id === panel.query_panel.query_annotation_id);
      expect(annotation, `panel ${i}`).toMatchObject({ name: desired.board.queries[i]!.caption, query_id: panel.query_panel.query_id });
    });
  });

  it('changes nothing on a second run', async () => {
    await runSetup(options());
    const before = writes();

    const second = await runSetup(options());

    expect(writes()).toBe(before);
    expect(second.writes).toBe(0);
    expect(second.actions.map((a) => `${a.kind}:${a.name}:${a.op}`).filter((s) => !s.endsWith(':unchanged'))).toEqual([]);
  });

  it('updates a derived column whose expression drifted, and nothing else', async () => {
    await runSetup(options());
    const columns = await get<Array<{ id: string; alias: string; expression: string; description: string }>>(`/1/derived_columns/${DATASET}`);
    const drifted = columns.find((c) => c.alias === 'cost_bucket')!;
    const put = await fetch(new URL(`/1/derived_columns/${DATASET}/${drifted.id}`, standIn.url), {
      method: 'PUT', headers: { 'x-honeycomb-team': standIn.configKey, 'content-type': 'application/json' },
      body: JSON.stringify({ alias: drifted.alias, expression: 'IF(LT($genops.cost.total, 5), "cheap", "dear")', description: drifted.description }),
    });
    expect(put.status).toBe(200);

    const result = await runSetup(options());

    expect(result.actions.filter((a) => a.op !== 'unchanged').map((a) => `${a.kind}:${a.name}:${a.op}`)).toEqual(['derived column:cost_bucket:update']);
    const after = await get<Array<{ alias: string; expression: string }>>(`/1/derived_columns/${DATASET}`);
    expect(after.find((c) => c.alias === 'cost_bucket')?.expression).toBe(desired.derivedColumns.find((c) => c.alias === 'cost_bucket')!.expression);
  });

  it('fails before any change with the name of the permission the key lacks', async () => {
    const key = standIn.addKey({ type: 'configuration', permissions: { triggers: false } }).key;

    const failure = await runSetup(options({ configKey: key })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(SetupError);
    expect((failure as SetupError).message).toContain('"Manage Triggers"');
    expect(writes()).toBe(0);
  });

  it('names "Manage Queries and Columns" when the key cannot save queries or columns', async () => {
    const key = standIn.addKey({ type: 'configuration', permissions: { columns: false } }).key;

    const failure = await runSetup(options({ configKey: key })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(SetupError);
    expect((failure as SetupError).message).toContain('"Manage Queries and Columns"');
    expect(writes()).toBe(0);
  });

  it('retries a 429 with Retry-After', async () => {
    const [fault] = standIn.injectFaults([{ kind: 'status', status: 429, retryAfter: 1, times: 2, path: '/1/derived_columns' }]);

    const started = Date.now();
    const result = await runSetup(options());

    expect(result.errors).toEqual([]);
    expect(fault!.used).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('prints the plan on --dry-run and creates nothing; never prints the key', async () => {
    standIn.reset();
    const emptyDataset = 'genops-empty';
    standIn.addDataset(emptyDataset);

    const run = await runCli(['--dry-run', '--dataset', emptyDataset], { HONEYCOMB_CONFIG_KEY: standIn.configKey, HONEYCOMB_API_HOST: standIn.url });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run: nothing changed');
    expect(run.stdout).toMatch(/would create\s+derived column\s+cost_per_token/);
    expect(run.stdout).toMatch(/would create\s+SLO\s+Policy Compliance SLO/);
    // The dataset exists (it is the one unchanged item); everything else is to be created.
    expect(run.stdout).toContain(`${1 + desired.derivedColumns.length + desired.triggers.length + desired.slos.length} to create, 0 to update, 1 unchanged, 0 blocked`);
    expect(run.stdout + run.stderr).not.toContain(standIn.configKey);
    expect(writes()).toBe(0);
  });

  it('on a Free plan applies everything else, then exits 1 naming the SLO plan feature', async () => {
    const free = await HoneycombStandIn.start(freePlan());
    try {
      free.addDataset(DATASET);
      const run = await runCli(['--dataset', DATASET], { HONEYCOMB_CONFIG_KEY: free.configKey, HONEYCOMB_API_HOST: free.url });

      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/plan does not include SLOs/);
      expect(run.stdout + run.stderr).not.toContain(free.configKey);
      const columns = await get<unknown[]>(`/1/derived_columns/${DATASET}`, free);
      expect(columns).toHaveLength(desired.derivedColumns.length);
      const triggers = await get<unknown[]>(`/1/triggers/${DATASET}`, free);
      expect(triggers).toHaveLength(desired.triggers.length);
    } finally {
      await free.stop();
    }
  });
});

/** The stand-in option for a Free-plan team (a variable, so it type-checks whatever else the options hold). */
function freePlan(): Parameters<typeof HoneycombStandIn.start>[0] {
  const value = { clock: Date.now, plan: 'free' as const };
  return value;
}
