/**
 * SLOs (§7.2, §11.22), with Manage SLOs, on the Pro and Enterprise plans only: POST → 201, GET list/one, PUT
 * (full replacement, "partial updates are not supported"), DELETE → 204. The SLI is a derived column alias that
 * must exist where the SLO is evaluated (422 on sli.alias otherwise); target_per_million 0–999999,
 * time_period_days ≥ 1, name 1–120. On __all__ the SLO names its datasets in dataset_slugs (1–10, existing).
 *
 * Guesses: the plan refusal is a 403 with a legacy {"error"} body naming the plan (status and text are not
 * documented) and covers every SLO endpoint; a dataset SLO may use that dataset's derived column or an
 * environment-wide one, while an __all__ SLO needs an environment-wide one; listing a dataset returns the SLOs
 * evaluated on it (multi-dataset ones included), listing __all__ returns every SLO in the environment.
 */
import { ALL_DATASETS } from './dataset-names.js';
import { error, json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { datasetCaller, decodeSegment, readObject, type DatasetCaller } from './config-request.js';
import type { ConfigStore, Scoped, Slo } from './config-store.js';
import { findDerivedColumn } from './derived-columns.js';
import { isoSeconds, notFound } from './problems.js';
import { Checks } from './validation.js';

export const SLO_PLAN_REFUSAL = 'SLOs are not available on your team\'s plan: they need the Pro or Enterprise plan.';

type Fields = Omit<Slo, 'id' | 'reset_at' | 'created_at' | 'updated_at'>;

export function sloRoutes(config: ConfigStore): Route[] {
  /** The caller, once the key, permission, plan and dataset all allow SLOs. */
  function sloCaller(exchange: Exchange, segment: string, context: RouteContext): DatasetCaller | Reply {
    const who = datasetCaller(exchange, segment, context, 'slos');
    if ('status' in who) return who;
    return config.plan === 'free' ? error(403, SLO_PLAN_REFUSAL) : who;
  }

  const visible = (who: DatasetCaller): Scoped<Slo>[] => config.slos.filter((s) =>
    s.scope === who.scope && (who.dataset === ALL_DATASETS || s.value.dataset_slugs.includes(who.dataset)));
  const find = (who: DatasetCaller, id: string): Scoped<Slo> | undefined => visible(who).find((s) => s.value.id === decodeSegment(id));

  /** The SLO a body describes for `dataset` (where it was created), or the 422. */
  function fields(who: DatasetCaller, dataset: string, body: Record<string, unknown>, context: RouteContext): Fields | Reply {
    const checks = new Checks();
    const name = checks.string(body['name'], 'name', { required: true, min: 1, max: 120 });
    const description = checks.string(body['description'], 'description', { max: 1023 });
    const sli = checks.object(body['sli'], 'sli', true);
    const alias = sli && checks.string(sli['alias'], 'sli.alias', { required: true, min: 1, max: 255 });
    const days = checks.integer(body['time_period_days'], 'time_period_days', { required: true, min: 1 });
    const target = checks.integer(body['target_per_million'], 'target_per_million', { required: true, min: 0, max: 999_999 });
    const tags = checks.tags(body['tags']);
    let datasets = [dataset];
    if (dataset === ALL_DATASETS) {
      const slugs = checks.array(body['dataset_slugs'], 'dataset_slugs', { required: true, min: 1, max: 10 }) ?? [];
      datasets = slugs.flatMap((slug, i) => {
        const value = checks.string(slug, `dataset_slugs[${i}]`, { required: true, min: 1 });
        if (value === undefined) return [];
        if (context.store.findDataset(who.scope, value)) return [value];
        checks.invalid(`dataset_slugs[${i}]`, `dataset ${value} not found`);
        return [];
      });
    }
    if (alias !== undefined && !findDerivedColumn(config, who.scope, dataset, alias)) {
      const where = dataset === ALL_DATASETS ? 'environment-wide (__all__)' : `in dataset ${dataset} or environment-wide`;
      checks.invalid('sli.alias', `no derived column with the alias "${alias}" ${where}`);
    }
    if (!checks.ok || name === undefined || alias === undefined || days === undefined || target === undefined) return checks.reply()!;
    return {
      name, description: description ?? '', sli: { alias }, time_period_days: days, target_per_million: target,
      tags: tags ?? [], dataset_slugs: datasets,
    };
  }

  function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = sloCaller(exchange, segment, context);
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, who.dataset, body, context);
    if ('status' in input) return input;
    const now = isoSeconds(context.clock());
    const value: Slo = { id: config.nextId(), ...input, reset_at: null, created_at: now, updated_at: now };
    config.slos.push({ scope: who.scope, dataset: who.dataset, value });
    return json(201, value);
  }

  function list(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = sloCaller(exchange, segment, context);
    if ('status' in who) return who;
    return json(200, visible(who).map((s) => s.value));
  }

  function get(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = sloCaller(exchange, segment, context);
    if ('status' in who) return who;
    const found = find(who, id);
    return found ? json(200, found.value) : notFound('SLO');
  }

  function update(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = sloCaller(exchange, segment, context);
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('SLO');
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, found.dataset, body, context);
    if ('status' in input) return input;
    const { id: keptId, reset_at, created_at } = found.value;
    found.value = { id: keptId, ...input, reset_at, created_at, updated_at: isoSeconds(context.clock()) };
    return json(200, found.value);
  }

  function remove(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = sloCaller(exchange, segment, context);
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('SLO');
    config.slos.splice(config.slos.indexOf(found), 1);
    return { status: 204 };
  }

  return [
    { method: 'POST', path: /^\/1\/slos\/([^/]+)$/, handle: create },
    { method: 'GET', path: /^\/1\/slos\/([^/]+)$/, handle: list },
    { method: 'GET', path: /^\/1\/slos\/([^/]+)\/([^/]+)$/, handle: get },
    { method: 'PUT', path: /^\/1\/slos\/([^/]+)\/([^/]+)$/, handle: update },
    { method: 'DELETE', path: /^\/1\/slos\/([^/]+)\/([^/]+)$/, handle: remove },
  ];
}
