/**
 * The Datasets API, as far as setup needs it (§7.2, setup recipe step 2): GET /1/datasets, GET /1/datasets/{slug}
 * and an idempotent POST /1/datasets (201 when created, 200 with the existing one). Needs a configuration key
 * with Create Datasets. PUT and DELETE are not served. A dataset made here is the same one events create.
 */
import { isDatasetName, datasetSlug } from './dataset-names.js';
import { json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { caller, datasetCaller, readObject, type Caller } from './config-request.js';
import type { ConfigStore, DatasetSettings } from './config-store.js';
import { isoSeconds, notFound } from './problems.js';
import type { Dataset } from './store.js';
import { Checks } from './validation.js';

const DEFAULT_SETTINGS: DatasetSettings = { description: '', expand_json_depth: 0 };

export function datasetRoutes(config: ConfigStore): Route[] {
  /** The spec's Dataset object; column count and last write come from the events stored so far. */
  const view = (dataset: Dataset, context: RouteContext): Record<string, unknown> => {
    const events = context.store.events.filter((e) => e.environment === dataset.environment && e.dataset === dataset.slug);
    const columns = new Set(events.flatMap((e) => Object.keys(e.data)));
    const settings = config.datasetSettings.get(`${dataset.scope}\n${dataset.slug}`) ?? DEFAULT_SETTINGS;
    return {
      name: dataset.name, description: settings.description, settings: { delete_protected: false },
      expand_json_depth: settings.expand_json_depth, slug: dataset.slug, regular_columns_count: columns.size,
      last_written_at: events.length === 0 ? null : isoSeconds(events.at(-1)!.receivedAt.getTime()), created_at: isoSeconds(dataset.createdAt.getTime()),
    };
  };

  function list(exchange: Exchange, _params: string[], context: RouteContext): Reply {
    const who = caller(exchange, context, 'createDatasets');
    if ('status' in who) return who;
    return json(200, context.store.datasets.filter((d) => d.scope === who.scope).map((d) => view(d, context)));
  }

  function get(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'createDatasets');
    if ('status' in who) return who;
    const dataset = context.store.findDataset(who.scope, who.dataset); // undefined for __all__, which is no dataset
    return dataset ? json(200, view(dataset, context)) : notFound('Dataset');
  }

  function create(exchange: Exchange, _params: string[], context: RouteContext): Reply {
    const who: Caller | Reply = caller(exchange, context, 'createDatasets');
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const checks = new Checks();
    const name = checks.string(body['name'], 'name', { required: true, min: 1, max: 255 });
    const description = checks.string(body['description'], 'description', { max: 1024 });
    const depth = checks.integer(body['expand_json_depth'], 'expand_json_depth', { min: 0, max: 10 });
    if (name !== undefined && !isDatasetName(name)) checks.invalid('name', 'is not a valid dataset name');
    if (!checks.ok || name === undefined) return checks.reply()!;
    const existing = context.store.findDataset(who.scope, datasetSlug(name));
    if (existing) return json(200, view(existing, context));
    const dataset = context.store.ensureDataset(who.scope, who.key.environment.slug, name, datasetSlug(name), new Date(context.clock()));
    config.datasetSettings.set(`${dataset.scope}\n${dataset.slug}`, { description: description ?? '', expand_json_depth: depth ?? 0 });
    return json(201, view(dataset, context));
  }

  return [
    { method: 'GET', path: /^\/1\/datasets$/, handle: list },
    { method: 'POST', path: /^\/1\/datasets$/, handle: create },
    { method: 'GET', path: /^\/1\/datasets\/([^/]+)$/, handle: get },
  ];
}
