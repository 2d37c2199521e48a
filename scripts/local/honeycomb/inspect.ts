/**
 * The stand-in's own HTTP surface, under a prefix the real API never uses, so a local run can look at what
 * arrived from another process: GET /__standin/events?dataset=, /__standin/markers?dataset=,
 * /__standin/requests, /__standin/datasets, and DELETE /__standin/reset. No key needed. Configuration objects
 * too, as the API would return them: GET /__standin/{derived_columns,queries,query_annotations,triggers,slos}
 * ?dataset= (a name, a slug or __all__) and /__standin/boards.
 */
import type { ConfigKind, ConfigStore } from './config-store.js';
import { ALL_DATASETS, datasetSlug } from './dataset-names.js';
import { json, type Route } from './http.js';

const CONFIG_PATHS: Record<string, ConfigKind> = {
  derived_columns: 'derivedColumns', queries: 'queries', query_annotations: 'annotations', triggers: 'triggers', slos: 'slos', boards: 'boards',
};

/** `reset` is the stand-in's own, so it can also drop faults and held connections. */
export function inspectionRoutes(reset: () => void, config: ConfigStore): Route[] {
  const slugFrom = (query: URLSearchParams): string | undefined => {
    const dataset = query.get('dataset');
    return dataset === null ? undefined : dataset === ALL_DATASETS ? dataset : datasetSlug(dataset);
  };
  return [
    {
      method: 'GET', path: /^\/__standin\/events$/,
      handle: ({ query }, _params, { store }) => {
        const slug = slugFrom(query);
        return json(200, store.events.filter((e) => slug === undefined || e.dataset === slug));
      },
    },
    {
      method: 'GET', path: /^\/__standin\/markers$/,
      handle: ({ query }, _params, { store }) => {
        const slug = slugFrom(query);
        return json(200, store.markers.filter((m) => slug === undefined || m.dataset === slug));
      },
    },
    { method: 'GET', path: /^\/__standin\/requests$/, handle: (_exchange, _params, { store }) => json(200, store.requests) },
    { method: 'GET', path: /^\/__standin\/datasets$/, handle: (_exchange, _params, { store }) => json(200, store.datasets) },
    {
      method: 'GET', path: /^\/__standin\/(derived_columns|queries|query_annotations|triggers|slos|boards)$/,
      handle: ({ query }, [kind = '']) => json(200, config.values(CONFIG_PATHS[kind]!, slugFrom(query))),
    },
    { method: 'DELETE', path: /^\/__standin\/reset$/, handle: () => { reset(); return { status: 204 }; } },
  ];
}
