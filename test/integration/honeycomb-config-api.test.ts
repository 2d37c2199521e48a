import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HONEYCOMB_ERRORS, HoneycombStandIn, SLO_PLAN_REFUSAL } from '../../scripts/local/honeycomb/index.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const T0_ISO = '2025-01-02T03:04:05Z';
let now = T0;
let hc: HoneycombStandIn;

beforeAll(async () => {
  hc = await HoneycombStandIn.start({ clock: () => now });
});
afterAll(() => hc.stop());
beforeEach(() => {
  hc.addDataset('GenOps');
});
afterEach(() => {
  hc.reset();
  now = T0;
});

type Body = Record<string, unknown>;
interface Answer { status: number; body: any; headers: Headers }

/** One request with the all-permission configuration key unless told otherwise; the body parsed when there is one. */
async function call(method: string, path: string, body?: unknown, key = hc.configKey, headers: Record<string, string> = {}, server = hc): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { 'x-honeycomb-team': key, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}
const post = (path: string, body: unknown, key?: string): Promise<Answer> => call('POST', path, body, key);
const put = (path: string, body: unknown): Promise<Answer> => call('PUT', path, body);
const get = (path: string, key?: string): Promise<Answer> => call('GET', path, undefined, key);
const del = (path: string): Promise<Answer> => call('DELETE', path);

const ID = expect.stringMatching(/^[0-9A-Za-z]{11}$/);
const notFound = (error: string): Body => ({ status: 404, type: 'https://api.honeycomb.io/problems/not-found', title: 'The requested resource cannot be found.', error, detail: error });
const fieldsOf = (answer: Answer): string[][] => answer.body.type_detail.map((d: { field: string; code: string }) => [d.field, d.code]);
const COST_QUERY = { calculations: [{ op: 'SUM', column: 'genops.cost.total' }], time_range: 3600 };
const TRIGGER = { name: 'Hourly Cost Spike', query: COST_QUERY, threshold: { op: '>', value: 100 }, frequency: 900 };

async function derivedColumn(dataset: string, alias: string, expression = 'BOOL(1)'): Promise<Body> {
  const created = await post(`/1/derived_columns/${dataset}`, { alias, expression });
  expect(created.status).toBe(201);
  return created.body;
}

describe('derived columns', () => {
  it('creates, lists, gets by id and by alias, replaces and deletes', async () => {
    const created = await post('/1/derived_columns/genops', { alias: 'cost_per_token', expression: 'DIV($genops.cost.total, $genops.tokens.total)', description: 'USD per token' });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    const column = { id: ID, alias: 'cost_per_token', expression: 'DIV($genops.cost.total, $genops.tokens.total)', description: 'USD per token', created_at: T0_ISO, updated_at: T0_ISO };
    expect(created.body).toEqual(column);
    const { id } = created.body;
    expect((await get('/1/derived_columns/GENOPS')).body).toEqual([column]);
    expect((await get('/1/derived_columns/genops?alias=cost_per_token')).body).toEqual(column);
    expect(await get('/1/derived_columns/genops?alias=nope')).toMatchObject({ status: 404, body: notFound('Derived column not found') });
    expect((await get(`/1/derived_columns/genops/${id}`)).body).toEqual(column);

    now = T0 + 60_000;
    const replaced = await put(`/1/derived_columns/genops/${id}`, { alias: 'usd_per_token', expression: 'INT(2)' });
    expect([replaced.status, replaced.body]).toEqual([200, { ...column, alias: 'usd_per_token', expression: 'INT(2)', description: '', updated_at: '2025-01-02T03:05:05Z' }]);
    expect(hc.derivedColumns('GenOps').map((c) => c.alias)).toEqual(['usd_per_token']);

    expect(await del(`/1/derived_columns/genops/${id}`)).toMatchObject({ status: 204, body: undefined });
    expect(await get(`/1/derived_columns/genops/${id}`)).toMatchObject({ status: 404, body: notFound('Derived column not found') });
    expect((await del(`/1/derived_columns/genops/${id}`)).status).toBe(404);
    expect(hc.derivedColumns()).toEqual([]);
  });

  it('keeps environment-wide (__all__) columns apart from dataset ones', async () => {
    await derivedColumn('__all__', 'is_ai');
    expect(hc.derivedColumns('__all__').map((c) => c.alias)).toEqual(['is_ai']);
    expect((await get('/1/derived_columns/genops')).body).toEqual([]);
    expect((await get('/1/derived_columns/__all__?alias=is_ai')).body).toMatchObject({ alias: 'is_ai' });
    await derivedColumn('genops', 'is_ai'); // a dataset column may share an environment-wide alias
    expect((await post('/1/derived_columns/__all__', { alias: 'is_ai', expression: 'BOOL(0)' })).status).toBe(409);
  });

  it('answers 409 Conflict for an alias already taken, on create and on rename', async () => {
    await derivedColumn('genops', 'a');
    const b = await derivedColumn('genops', 'b');
    const conflict = {
      status: 409, type: 'https://api.honeycomb.io/problems/conflict',
      title: 'Request could not be completed due to a conflict with the current state of the target resource.',
      error: 'A resource by that name already exists.', detail: 'a derived column with the alias "a" already exists',
    };
    const duplicate = await post('/1/derived_columns/genops', { alias: 'a', expression: 'INT(3)' });
    expect([duplicate.status, duplicate.headers.get('content-type'), duplicate.body]).toEqual([409, 'application/problem+json', conflict]);
    expect(await put(`/1/derived_columns/genops/${b['id']}`, { alias: 'a', expression: 'INT(3)' })).toMatchObject({ status: 409, body: conflict });
    expect((await put(`/1/derived_columns/genops/${b['id']}`, { alias: 'b', expression: 'INT(3)' })).status).toBe(200); // its own alias is no clash
    expect(hc.derivedColumns('genops').map((c) => c.alias)).toEqual(['a', 'b']);
  });

  it('answers 422 listing every invalid field', async () => {
    const empty = await post('/1/derived_columns/genops', {});
    expect([empty.status, empty.headers.get('content-type')]).toEqual([422, 'application/problem+json']);
    expect(empty.body).toEqual({
      status: 422, type: 'https://api.honeycomb.io/problems/validation-failed', title: 'The provided input is invalid.', error: 'The provided input is invalid.',
      type_detail: [{ field: 'alias', code: 'missing', description: 'alias: is required' }, { field: 'expression', code: 'missing', description: 'expression: is required' }],
    });
    const bad = await post('/1/derived_columns/genops', { alias: 'x'.repeat(256), expression: 'DIV($a, 2', description: 7 });
    expect(fieldsOf(bad)).toEqual([['alias', 'invalid'], ['description', 'incorrect_type'], ['expression', 'invalid']]);
    expect(fieldsOf(await post('/1/derived_columns/genops', { alias: 'ok', expression: 'x'.repeat(4096) }))).toEqual([['expression', 'invalid']]);
    expect(hc.derivedColumns()).toEqual([]);
  });
});

describe('queries and query annotations', () => {
  it('saves a query with 200 and its id (the same spec gets the same id), and reads it back', async () => {
    const saved = await post('/1/queries/genops', { ...COST_QUERY, breakdowns: ['genops.team'], ignored: true });
    expect([saved.status, saved.body]).toEqual([200, { id: ID, ...COST_QUERY, breakdowns: ['genops.team'] }]);
    const again = await post('/1/queries/genops', { breakdowns: ['genops.team'], time_range: 3600, calculations: [{ column: 'genops.cost.total', op: 'SUM' }] });
    expect(again.body.id).toBe(saved.body.id);
    expect((await get(`/1/queries/genops/${saved.body.id}`)).body).toEqual(saved.body);
    expect(await get('/1/queries/genops/nope')).toMatchObject({ status: 404, body: notFound('Query not found') });
    hc.addDataset('other');
    expect((await get(`/1/queries/other/${saved.body.id}`)).status).toBe(404);
    expect(hc.queries('genops')).toEqual([saved.body]);
  });

  it('answers 422 for a spec it cannot run', async () => {
    const bad = await post('/1/queries/genops', { calculations: [{ op: 'MEDIAN', column: 'd' }, { op: 'SUM' }], filters: [{ column: 'x', op: '=' }], limit: 1001, breakdowns: 'team' });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad)).toEqual([
      ['calculations[0].op', 'invalid'], ['calculations[1].column', 'missing'], ['filters[0].value', 'missing'], ['breakdowns', 'incorrect_type'], ['limit', 'invalid'],
    ]);
    expect(hc.queries()).toEqual([]);
  });

  it('annotates a saved query: create, list, rename, refuse a query change, delete', async () => {
    const query = (await post('/1/queries/genops', COST_QUERY)).body;
    const created = await post('/1/query_annotations/genops', { name: 'Cost', query_id: query.id });
    const annotation = { id: ID, name: 'Cost', description: '', query_id: query.id, source: 'query', created_at: T0_ISO, updated_at: T0_ISO };
    expect([created.status, created.body]).toEqual([201, annotation]);
    expect((await get('/1/query_annotations/genops')).body).toEqual([annotation]);
    const path = `/1/query_annotations/genops/${created.body.id}`;
    expect((await put(path, { name: 'Spend', description: 'USD', query_id: query.id })).body).toEqual({ ...annotation, name: 'Spend', description: 'USD' });
    expect(await put(path, { name: 'Spend', query_id: 'other' })).toMatchObject({ status: 400, body: { error: 'queries in annotations cannot be changed' } });
    expect(await post('/1/query_annotations/genops', { name: 'Nope', query_id: 'missing' })).toMatchObject({ status: 400, body: { error: 'Query ID included in body is invalid' } });
    expect((await del(path)).status).toBe(204);
    expect(hc.queryAnnotations()).toEqual([]);
  });
});

describe('triggers', () => {
  it('creates with defaults and a Location, lists, gets, replaces (keeping disabled) and deletes', async () => {
    const created = await post('/1/triggers/genops', TRIGGER);
    expect(created.status).toBe(201);
    const [saved] = hc.queries('genops');
    const trigger = {
      id: ID, dataset_slug: 'genops', name: 'Hourly Cost Spike', description: '', tags: [], threshold: { op: '>', value: 100, exceeded_limit: 1 },
      frequency: 900, alert_type: 'on_change', disabled: false, triggered: false, recipients: [], evaluation_schedule_type: 'frequency',
      query_id: saved?.id, query: COST_QUERY, created_at: T0_ISO, updated_at: T0_ISO,
    };
    expect(created.body).toEqual(trigger);
    const { id } = created.body;
    expect(created.headers.get('location')).toBe(`/1/triggers/genops/${id}`);
    expect((await get('/1/triggers/genops')).body).toEqual([trigger]);
    expect((await get(`/1/triggers/genops/${id}`)).body).toEqual(trigger);

    now = T0 + 1000;
    const disabled = await put(`/1/triggers/genops/${id}`, { ...TRIGGER, description: 'spend', disabled: true, recipients: [{ id: 'r1' }] });
    expect(disabled.body).toMatchObject({ description: 'spend', disabled: true, recipients: [{ id: 'r1' }], updated_at: '2025-01-02T03:04:06Z', created_at: T0_ISO });
    const replaced = await put(`/1/triggers/genops/${id}`, { ...TRIGGER, frequency: 1800, threshold: { op: '>=', value: 5, exceeded_limit: 3 } });
    expect(replaced.body).toMatchObject({ description: '', recipients: [], disabled: true, frequency: 1800, threshold: { op: '>=', value: 5, exceeded_limit: 3 } });
    expect(hc.triggers('genops')).toEqual([replaced.body]);

    expect((await del(`/1/triggers/genops/${id}`)).status).toBe(204);
    expect(await get(`/1/triggers/genops/${id}`)).toMatchObject({ status: 404, body: notFound('Trigger not found') });
    expect(hc.triggers()).toEqual([]);
  });

  it('takes a saved query by query_id, and environment-wide triggers on __all__', async () => {
    const query = (await post('/1/queries/genops', { calculations: [{ op: 'COUNT' }], filters: [{ column: 'genops.policy.result', op: '=', value: 'blocked' }], time_range: 900 })).body;
    const byId = await post('/1/triggers/genops', { name: 'Blocked', query_id: query.id, threshold: { op: '>', value: 50 } });
    expect(byId.status).toBe(201);
    expect(byId.body).toMatchObject({ query_id: query.id, query: { calculations: [{ op: 'COUNT' }], time_range: 900 } });
    expect(byId.body.query).not.toHaveProperty('id');
    const unknown = await post('/1/triggers/genops', { name: 'x', query_id: 'nope', threshold: { op: '>', value: 1 } });
    expect([unknown.status, fieldsOf(unknown)]).toEqual([422, [['query_id', 'invalid']]]);
    const unfit = (await post('/1/queries/genops', { calculations: [{ op: 'COUNT' }], limit: 10, time_range: 900 })).body;
    expect(fieldsOf(await post('/1/triggers/genops', { name: 'x', query_id: unfit.id, threshold: { op: '>', value: 1 } }))).toEqual([['query_id', 'invalid']]);

    expect((await post('/1/triggers/__all__', TRIGGER)).body).toMatchObject({ dataset_slug: '__all__' });
    expect([hc.triggers('__all__').length, hc.triggers('genops').length]).toEqual([1, 1]);
  });

  it('answers 422 naming each broken rule: fields, threshold, frequency, and the trigger query subset', async () => {
    const bad = await post('/1/triggers/genops', {
      name: '', threshold: { op: '=', value: 'x', exceeded_limit: 6 }, frequency: 90, alert_type: 'sometimes',
      query: { calculations: [{ op: 'COUNT' }, { op: 'HEATMAP', column: 'duration_ms' }], orders: [{ op: 'COUNT', order: 'descending' }], time_range: 60 },
    });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad)).toEqual([
      ['name', 'invalid'], ['threshold.op', 'invalid'], ['threshold.value', 'incorrect_type'], ['threshold.exceeded_limit', 'invalid'], ['frequency', 'invalid'],
      ['alert_type', 'invalid'], ['query.calculations', 'invalid'], ['query.calculations[1].op', 'invalid'], ['query.orders', 'invalid'], ['query.time_range', 'invalid'],
    ]);
    expect(fieldsOf(await post('/1/triggers/genops', { name: 'n' }))).toEqual([['threshold', 'missing'], ['query', 'missing']]);
    const range = await post('/1/triggers/genops', { ...TRIGGER, frequency: 300, query: { ...COST_QUERY, time_range: 1500 } });
    expect(range.body.type_detail).toEqual([{ field: 'query.time_range', code: 'invalid', description: 'query.time_range: must be between the frequency (300) and 1200 seconds' }]);
    expect(fieldsOf(await post('/1/triggers/genops', { ...TRIGGER, query: { calculations: [{ op: 'COUNT' }] } }))).toEqual([['query.time_range', 'missing']]);
    expect(hc.triggers()).toEqual([]);
  });
});

describe('SLOs', () => {
  const SLO = { name: 'Policy Compliance SLO', sli: { alias: 'sli_policy' }, time_period_days: 30, target_per_million: 999_000 };

  it('creates, lists, gets, replaces in full and deletes', async () => {
    await derivedColumn('genops', 'sli_policy');
    const created = await post('/1/slos/genops', { ...SLO, description: 'not blocked', tags: [{ key: 'team', value: 'ai-platform' }] });
    const slo = {
      id: ID, ...SLO, description: 'not blocked', tags: [{ key: 'team', value: 'ai-platform' }], reset_at: null,
      created_at: T0_ISO, updated_at: T0_ISO, dataset_slugs: ['genops'],
    };
    expect([created.status, created.body]).toEqual([201, slo]);
    const { id } = created.body;
    expect((await get('/1/slos/genops')).body).toEqual([slo]);
    expect((await get(`/1/slos/genops/${id}`)).body).toEqual(slo);
    const replaced = await put(`/1/slos/genops/${id}`, { ...SLO, target_per_million: 990_000 });
    expect(replaced.body).toEqual({ ...slo, description: '', tags: [], target_per_million: 990_000 });
    expect(hc.slos('genops')).toEqual([replaced.body]);
    expect((await del(`/1/slos/genops/${id}`)).status).toBe(204);
    expect(await get(`/1/slos/genops/${id}`)).toMatchObject({ status: 404, body: notFound('SLO not found') });
  });

  it('refuses an SLI alias with no derived column (422 on sli.alias), and out-of-range target and period', async () => {
    const missing = await post('/1/slos/genops', SLO);
    expect([missing.status, missing.body.type_detail]).toEqual([422, [
      { field: 'sli.alias', code: 'invalid', description: 'sli.alias: no derived column with the alias "sli_policy" in dataset genops or environment-wide' },
    ]]);
    expect(fieldsOf(await post('/1/slos/genops', { ...SLO, time_period_days: 0, target_per_million: 1_000_000, sli: {} }))).toEqual([
      ['sli.alias', 'missing'], ['time_period_days', 'invalid'], ['target_per_million', 'invalid'],
    ]);
    hc.addDataset('other');
    await derivedColumn('other', 'sli_policy'); // another dataset's column does not count
    expect((await post('/1/slos/genops', SLO)).status).toBe(422);
    await derivedColumn('__all__', 'sli_policy'); // an environment-wide one does
    expect((await post('/1/slos/genops', SLO)).status).toBe(201);
  });

  it('on __all__ needs dataset_slugs of existing datasets and an environment-wide SLI', async () => {
    await derivedColumn('__all__', 'sli_policy');
    hc.addDataset('other');
    expect(fieldsOf(await post('/1/slos/__all__', SLO))).toEqual([['dataset_slugs', 'missing']]);
    expect(fieldsOf(await post('/1/slos/__all__', { ...SLO, dataset_slugs: ['genops', 'ghost'] }))).toEqual([['dataset_slugs[1]', 'invalid']]);
    const multi = await post('/1/slos/__all__', { ...SLO, dataset_slugs: ['genops', 'other'] });
    expect([multi.status, multi.body.dataset_slugs]).toEqual([201, ['genops', 'other']]);
    expect((await get('/1/slos/other')).body.map((s: Body) => s['id'])).toEqual([multi.body.id]);
    expect(hc.slos('other')).toHaveLength(1);
  });

  it('refuses every SLO endpoint with 403 naming the plan on a Free team; reset() restores the plan', async () => {
    await derivedColumn('genops', 'sli_policy');
    hc.plan = 'free';
    for (const answer of [await post('/1/slos/genops', SLO), await get('/1/slos/genops')]) {
      expect([answer.status, answer.body]).toEqual([403, { error: SLO_PLAN_REFUSAL }]);
    }
    expect(SLO_PLAN_REFUSAL).toMatch(/plan/);
    expect((await post('/1/triggers/genops', TRIGGER)).status).toBe(201); // triggers are on every plan
    hc.plan = 'pro';
    expect((await post('/1/slos/genops', SLO)).status).toBe(201);
    hc.reset();
    expect(hc.plan).toBe('enterprise');
  });

  it('keeps a derived column an SLO, trigger or board uses from being deleted (409)', async () => {
    const sli = await derivedColumn('genops', 'sli_policy');
    const slo = (await post('/1/slos/genops', SLO)).body;
    const inUse = await del(`/1/derived_columns/genops/${sli['id']}`);
    expect([inUse.status, inUse.body.error]).toEqual([409, 'the derived column "sli_policy" is used by SLO "Policy Compliance SLO"']);
    expect((await del(`/1/slos/genops/${slo.id}`)).status).toBe(204);
    expect((await del(`/1/derived_columns/genops/${sli['id']}`)).status).toBe(204);

    const pct = await derivedColumn('__all__', 'budget_pct');
    const trigger = (await post('/1/triggers/genops', { ...TRIGGER, query: { calculations: [{ op: 'MAX', column: 'budget_pct' }], time_range: 900 } })).body;
    expect((await del(`/1/derived_columns/__all__/${pct['id']}`)).body.detail).toBe('the derived column "budget_pct" is used by trigger "Hourly Cost Spike"');
    expect((await del(`/1/triggers/genops/${trigger.id}`)).status).toBe(204);
    expect((await del(`/1/derived_columns/__all__/${pct['id']}`)).status).toBe(204);
  });
});

describe('boards', () => {
  async function panels(): Promise<{ query: Body; annotation: Body; slo: Body }> {
    await derivedColumn('genops', 'tier');
    const query = (await post('/1/queries/genops', { calculations: [{ op: 'COUNT' }], breakdowns: ['tier'], time_range: 86_400 })).body;
    const annotation = (await post('/1/query_annotations/genops', { name: 'By tier', query_id: query.id })).body;
    await derivedColumn('genops', 'sli');
    const slo = (await post('/1/slos/genops', { name: 'S', sli: { alias: 'sli' }, time_period_days: 7, target_per_million: 950_000 })).body;
    return { query, annotation, slo };
  }

  it('creates with query, SLO and text panels, lists, gets, replaces and deletes', async () => {
    const { query, annotation, slo } = await panels();
    const board = {
      name: 'GenOps AI Governance', type: 'flexible', layout_generation: 'auto', tags: [{ key: 'team', value: 'ai' }],
      preset_filters: [{ column: 'genops.team', alias: 'Team' }],
      panels: [
        { type: 'query', query_panel: { query_id: query['id'], query_annotation_id: annotation['id'], query_style: 'graph' }, position: { x_coordinate: 0, y_coordinate: 0, width: 6, height: 4 } },
        { type: 'slo', slo_panel: { slo_id: slo['id'] } },
        { type: 'text', text_panel: { content: '# Spend' } },
      ],
    };
    const created = await post('/1/boards', board);
    expect(created.status).toBe(201);
    const { id } = created.body;
    const { layout_generation: _writeOnly, ...shown } = board;
    const expected = {
      id: ID, ...shown, description: '', links: { board_url: `https://ui.honeycomb.io/local-team/environments/local/board/${id}` },
      panels: [{ ...board.panels[0], query_panel: { ...board.panels[0]!.query_panel, dataset: 'GenOps' } }, board.panels[1], board.panels[2]],
    };
    expect(created.body).toEqual(expected);
    expect((await get('/1/boards')).body).toEqual([expected]);
    expect((await get(`/1/boards/${id}`)).body).toEqual(expected);
    const replaced = await put(`/1/boards/${id}`, { name: 'Renamed', type: 'flexible', panels: [board.panels[2]] });
    expect(replaced.body).toEqual({ id, name: 'Renamed', description: '', type: 'flexible', panels: [board.panels[2]], tags: [], preset_filters: board.preset_filters, links: expected.links });
    expect(hc.boards()).toEqual([replaced.body]);
    expect((await del(`/1/boards/${id}`)).status).toBe(204);
    expect(await get(`/1/boards/${id}`)).toMatchObject({ status: 404, body: notFound('Board not found') });
  });

  it('answers 422 for a board type, panel references or preset filters it cannot take', async () => {
    const { query, slo } = await panels();
    const other = (await post('/1/queries/genops', COST_QUERY)).body;
    const otherNote = (await post('/1/query_annotations/genops', { name: 'Cost', query_id: other.id })).body;
    const bad = await post('/1/boards', {
      name: 'B', type: 'classic',
      panels: [
        { type: 'query', query_panel: { query_id: query['id'], query_annotation_id: otherNote.id } },
        { type: 'slo', slo_panel: { slo_id: 'nope' } }, { type: 'text', text_panel: {} }, { type: 'chart' },
      ],
      preset_filters: Array.from({ length: 6 }, (_, i) => ({ column: `c${i}`, alias: `C${i}` })),
    });
    expect(fieldsOf(bad)).toEqual([
      ['type', 'invalid'], ['panels[0].query_panel.query_annotation_id', 'invalid'], ['panels[1].slo_panel.slo_id', 'invalid'],
      ['panels[2].text_panel.content', 'missing'], ['panels[3].type', 'invalid'], ['preset_filters', 'invalid'],
    ]);
    expect(slo['id']).toEqual(ID);
    expect(hc.boards()).toEqual([]);
  });

  it('keeps a derived column a board query uses from being deleted', async () => {
    const { query, annotation } = await panels();
    await post('/1/boards', { name: 'B', type: 'flexible', panels: [{ type: 'query', query_panel: { query_id: query['id'], query_annotation_id: annotation['id'] } }] });
    const tier = hc.derivedColumns('genops').find((c) => c.alias === 'tier')!;
    expect((await del(`/1/derived_columns/genops/${tier.id}`)).body.detail).toBe('the derived column "tier" is used by board "B"');
  });
});

describe('datasets', () => {
  it('creates idempotently (201, then 200), gets by slug and lists', async () => {
    const created = await post('/1/datasets', { name: 'AI Spend', description: 'costs', expand_json_depth: 2 });
    expect([created.status, created.body]).toEqual([201, {
      name: 'AI Spend', description: 'costs', settings: { delete_protected: false }, expand_json_depth: 2, slug: 'ai-spend',
      regular_columns_count: 0, last_written_at: null, created_at: T0_ISO,
    }]);
    expect(await post('/1/datasets', { name: 'ai spend' })).toMatchObject({ status: 200, body: { name: 'AI Spend', description: 'costs' } });
    expect((await get('/1/datasets/ai-spend')).body).toEqual(created.body);
    expect((await get('/1/datasets')).body.map((d: Body) => d['slug'])).toEqual(['genops', 'ai-spend']);
    expect(await get('/1/datasets/ghost')).toMatchObject({ status: 404, body: notFound('Dataset not found') });
    expect(fieldsOf(await post('/1/datasets', { expand_json_depth: 11 }))).toEqual([['name', 'missing'], ['expand_json_depth', 'invalid']]);
  });
});

describe('keys and permissions', () => {
  const PERMISSION_FIELDS = {
    'Create Datasets': 'createDatasets', 'Manage Queries and Columns': 'columns', 'Manage Triggers': 'triggers', 'Manage SLOs': 'slos', 'Manage Public Boards': 'boards',
  } as const;
  const ROUTES: [string, keyof typeof PERMISSION_FIELDS][] = [
    ['/1/datasets', 'Create Datasets'], ['/1/derived_columns/genops', 'Manage Queries and Columns'], ['/1/query_annotations/genops', 'Manage Queries and Columns'],
    ['/1/triggers/genops', 'Manage Triggers'], ['/1/slos/genops', 'Manage SLOs'], ['/1/boards', 'Manage Public Boards'],
  ];
  const NONE = { events: false, markers: false, triggers: false, boards: false, queries: false, columns: false, createDatasets: false, slos: false, recipients: false, privateBoards: false };

  it('401s an unknown key and an ingest key with the documented body', async () => {
    for (const [path] of ROUTES) {
      for (const key of ['not-a-key', hc.ingestKey]) expect(await get(path, key)).toMatchObject({ status: 401, body: { error: HONEYCOMB_ERRORS.unknownKey } });
    }
    expect((await post('/1/queries/genops', COST_QUERY, hc.ingestKey)).status).toBe(401);
    expect(hc.queries()).toEqual([]);
  });

  it.each(ROUTES)('%s needs "%s": refused without it (401, or 403 naming it), answered with only it', async (path, permission) => {
    const field = PERMISSION_FIELDS[permission];
    const lacking = hc.addKey({ type: 'configuration', permissions: { [field]: false } }).key;
    const only = hc.addKey({ type: 'configuration', permissions: { ...NONE, [field]: true } }).key;
    expect(await get(path, lacking)).toMatchObject({ status: 401, body: { error: HONEYCOMB_ERRORS.unknownKey } });
    hc.permissionDeniedStatus = 403;
    expect(await get(path, lacking)).toMatchObject({ status: 403, body: { error: `API key does not have the "${permission}" permission` } });
    expect(await get(path, hc.ingestKey)).toMatchObject({
      status: 403, body: { error: `Ingest keys cannot use this API: it needs a configuration key with the "${permission}" permission` },
    });
    expect((await get(path, only)).status).toBe(200);
    hc.reset();
    expect(hc.permissionDeniedStatus).toBe(401);
  });
});

describe('request errors', () => {
  it.each([
    '/1/derived_columns/ghost', '/1/queries/ghost', '/1/query_annotations/ghost', '/1/triggers/ghost', '/1/slos/ghost', '/1/derived_columns/a%2Fb',
  ])('answers POST %s with the not-found problem for the unknown dataset', async (path) => {
    const res = await post(path, {});
    expect([res.status, res.headers.get('content-type'), res.body]).toEqual([404, 'application/problem+json', notFound('Dataset not found')]);
  });

  it('answers 400 unparseable for bad JSON, a non-object and an empty body; 413 over 100,000 bytes; reads gzip', async () => {
    const unparseable = { status: 400, type: 'https://api.honeycomb.io/problems/unparseable', title: 'The request body could not be parsed.' };
    for (const body of ['{"alias":', '["a"]', '', 'x']) {
      const res = await post('/1/derived_columns/genops', body);
      expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
      expect(res.body).toMatchObject({ ...unparseable, error: expect.any(String) });
    }
    const large = await post('/1/triggers/genops', { ...TRIGGER, description: 'x'.repeat(100_000) });
    expect([large.status, large.body]).toEqual([413, {
      status: 413, type: 'https://api.honeycomb.io/problems/payload-too-large', title: 'Request body is too large.', error: 'Body size is larger than maximum size of 100000 bytes',
    }]);
    const zipped = await call('POST', '/1/derived_columns/genops', gzipSync(JSON.stringify({ alias: 'z', expression: 'INT(1)' })), hc.configKey, { 'content-encoding': 'gzip' });
    expect(zipped.status).toBe(201);
    expect((await call('POST', '/1/derived_columns/genops', 'not gzip', hc.configKey, { 'content-encoding': 'gzip' })).body).toMatchObject(unparseable);
    expect(hc.triggers()).toEqual([]);
  });

  it('answers an injected 429 on these routes with the rate-limited problem, Retry-After only when set', async () => {
    const [fault] = hc.injectFaults([{ kind: 'status', status: 429, times: 1, path: '/1/triggers/' }, { kind: 'status', status: 429, retryAfter: 2, times: 1, path: '/1/slos/' }]);
    const limited = await post('/1/triggers/genops', TRIGGER);
    expect([limited.status, limited.headers.get('content-type'), limited.headers.get('retry-after'), limited.body]).toEqual([429, 'application/problem+json', null, {
      status: 429, type: 'https://api.honeycomb.io/problems/rate-limited', title: 'You have exceeded your rate limit.', error: 'You have exceeded your rate limit.',
      detail: `Please try again after ${T0_ISO}.`,
    }]);
    expect((await get('/1/slos/genops')).headers.get('retry-after')).toBe('2');
    expect(fault?.used).toBe(1);
    expect((await post('/1/triggers/genops', TRIGGER)).status).toBe(201);
    expect(hc.requests.map((r) => [r.path, r.status, r.fault])).toEqual([
      ['/1/triggers/genops', 429, 'status'], ['/1/slos/genops', 429, 'status'], ['/1/triggers/genops', 201, undefined],
    ]);
  });

  it('rate-limits each key per window with RateLimit headers and a Retry-After date', async () => {
    let clock = Date.UTC(2025, 0, 2, 3, 4, 50);
    const limited = await HoneycombStandIn.start({ clock: () => clock, configRateLimit: { limit: 2, windowSeconds: 60 } });
    try {
      const list = (key = limited.configKey): Promise<Answer> => call('GET', '/1/boards', undefined, key, {}, limited);
      const first = await list();
      expect([first.status, first.headers.get('ratelimit'), first.headers.get('ratelimit-policy')]).toEqual([200, 'limit=2, remaining=1, reset=10', '2;w=60']);
      expect((await list()).headers.get('ratelimit')).toBe('limit=2, remaining=0, reset=10');
      const over = await list();
      expect([over.status, over.headers.get('retry-after'), over.body.detail]).toEqual([429, 'Thu, 02 Jan 2025 03:05:00 GMT', 'Please try again after 2025-01-02T03:05:00Z.']);
      const other = limited.addKey({ type: 'configuration' }).key;
      expect((await list(other)).status).toBe(200); // counted per key
      clock += 10_000;
      expect((await list()).headers.get('ratelimit')).toBe('limit=2, remaining=1, reset=60');
    } finally {
      await limited.stop();
    }
  });
});

describe('inspection and reset', () => {
  it('serves configuration over /__standin/ and reset() clears it', async () => {
    await derivedColumn('__all__', 'env_col');
    await derivedColumn('genops', 'ds_col');
    await post('/1/triggers/genops', TRIGGER);
    const over = async (path: string): Promise<Body[]> => (await fetch(`${hc.url}/__standin/${path}`)).json() as Promise<Body[]>;
    expect((await over('derived_columns?dataset=GenOps')).map((c) => c['alias'])).toEqual(['ds_col']);
    expect((await over('derived_columns?dataset=__all__')).map((c) => c['alias'])).toEqual(['env_col']);
    expect((await over('triggers')).map((t) => t['name'])).toEqual(['Hourly Cost Spike']);
    expect(await over('queries')).toHaveLength(1);
    expect(await over('boards')).toEqual([]);
    const copy = hc.triggers()[0]!;
    copy.name = 'changed';
    expect(hc.triggers()[0]?.name).toBe('Hourly Cost Spike'); // helpers hand out copies
    hc.reset();
    expect([hc.derivedColumns(), hc.triggers(), hc.queries(), hc.slos(), hc.boards(), hc.queryAnnotations()]).toEqual([[], [], [], [], [], []]);
  });
});
