/**
 * The configuration ("setup as code") APIs of §7 in one list of routes: datasets, derived columns, saved
 * queries and their annotations, triggers, SLOs and boards, all counted by the rate limiter, whose headers every
 * answer carries. Each kind lives in its own file; what they share is in config-request.ts (key, permission,
 * dataset, body), problems.ts (error bodies) and validation.ts (field checks).
 */
import { boardRoutes } from './boards.js';
import type { ConfigStore } from './config-store.js';
import { datasetRoutes } from './datasets.js';
import { derivedColumnRoutes } from './derived-columns.js';
import type { Route } from './http.js';
import { queryRoutes } from './queries.js';
import { queryAnnotationRoutes } from './query-annotations.js';
import { limitedRoutes, type RateLimiter } from './rate-limit.js';
import { sloRoutes } from './slos.js';
import { triggerRoutes } from './triggers.js';

export function configApiRoutes(config: ConfigStore, limiter: RateLimiter): Route[] {
  return limitedRoutes([
    ...datasetRoutes(config), ...derivedColumnRoutes(config), ...queryRoutes(config), ...queryAnnotationRoutes(config),
    ...triggerRoutes(config), ...sloRoutes(config), ...boardRoutes(config),
  ], limiter);
}
