/**
 * How a dataset name in a URL (or an OTLP header, or a service.name) becomes a dataset (§2.1, §11.9): names
 * are case-insensitive because they resolve through the slug (lower case, every non-alphanumeric becomes '-');
 * an encoded slash is refused; a missing dataset exists only once the key may create it.
 */
import { scopeOf, type KeyRecord } from './auth.js';
import { error, HONEYCOMB_ERRORS, type Reply, type RouteContext } from './http.js';
import type { Dataset } from './store.js';

/** The environment-wide pseudo-dataset markers (and later triggers, SLOs, queries) accept. */
export const ALL_DATASETS = '__all__';
const MAX_NAME_LENGTH = 255;

export function isDatasetName(name: string): boolean {
  return name !== '' && name.length <= MAX_NAME_LENGTH;
}

export function datasetSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '-');
}

/** A dataset to write to: the existing one, or the name and slug one will be created under on first event. */
export type DatasetTarget = Pick<Dataset, 'name' | 'slug'>;

/** Resolves a still-encoded path segment. Refusals are the API's 404 `dataset not found`. */
export function datasetFromPath(segment: string, key: KeyRecord, context: RouteContext, mayCreate: boolean): DatasetTarget | Reply {
  // Honeycomb allows encoded spaces and punctuation but not an encoded slash.
  if (/%2f/i.test(segment)) return error(404, HONEYCOMB_ERRORS.datasetNotFound);
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return error(404, HONEYCOMB_ERRORS.datasetNotFound);
  }
  return datasetNamed(name, key, context, mayCreate);
}

export function datasetNamed(name: string, key: KeyRecord, context: RouteContext, mayCreate: boolean): DatasetTarget | Reply {
  if (!isDatasetName(name)) return error(404, HONEYCOMB_ERRORS.datasetNotFound);
  const slug = datasetSlug(name);
  const existing = context.store.findDataset(scopeOf(key), slug);
  if (existing) return existing;
  if (!mayCreate || !key.permissions.createDatasets) return error(404, HONEYCOMB_ERRORS.datasetNotFound);
  return { name, slug };
}

/** Creates the dataset if this is its first event; the first name written sets how it is displayed. */
export function materialize(target: DatasetTarget, key: KeyRecord, context: RouteContext): Dataset {
  return context.store.ensureDataset(scopeOf(key), key.environment.slug, target.name, target.slug, new Date(context.clock()));
}
