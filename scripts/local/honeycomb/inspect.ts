/**
 * The stand-in's own HTTP surface, under a prefix the real API never uses, so a local run can look at what
 * arrived from another process: GET /__standin/events?dataset=, /__standin/markers?dataset=,
 * /__standin/requests, /__standin/datasets, and DELETE /__standin/reset. No key needed.
 */
import { ALL_DATASETS, datasetSlug } from './dataset-names.js';
import { json, type Route } from './http.js';

/** `reset` is the stand-in's own, so it can also drop faults and held connections. */
export function inspectionRoutes(reset: () => void): Route[] {
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
    { method: 'DELETE', path: /^\/__standin\/reset$/, handle: () => { reset(); return { status: 204 }; } },
  ];
}
