/**
 * A local stand-in for Honeycomb's API, faithful to reference/honeycomb-api.md where it matters to a client:
 * keys and /1/auth, the batch and single events endpoints, markers, OTLP/HTTP traces, Honeycomb's status codes
 * and error texts, and faults a test can switch on. Tests drive and inspect it from TypeScript; a local run
 * can inspect it over HTTP under /__standin/. Also the configuration APIs setup-as-code uses (config-api.ts):
 * datasets, derived columns, saved queries and annotations, triggers, SLOs (gated on the team's plan) and boards,
 * rate limited with Honeycomb's headers.
 */
import { authRoutes, KeyRing, scopeOf, type KeyRecord, type KeySpec } from './auth.js';
import { batchRoutes } from './batch.js';
import { configApiRoutes } from './config-api.js';
import { ConfigStore, type Board, type DerivedColumn, type Plan, type QueryAnnotation, type SavedQuery, type Slo, type Trigger } from './config-store.js';
import { ALL_DATASETS, datasetSlug, isDatasetName } from './dataset-names.js';
import { FaultList, type FaultRule, type InjectedFault } from './faults.js';
import type { Route, RouteContext } from './http.js';
import { inspectionRoutes } from './inspect.js';
import { markerRoutes } from './markers.js';
import { otlpRoutes } from './otlp.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitPolicy } from './rate-limit.js';
import { StandInServer } from './server.js';
import { Store, type Dataset, type RecordedRequest, type StoredEvent, type StoredMarker } from './store.js';

export { isClassicKey, DEFAULT_ENVIRONMENT, DEFAULT_TEAM } from './auth.js';
export type { KeyRecord, KeySpec, KeyType, NameAndSlug, Permissions } from './auth.js';
export { datasetSlug, ALL_DATASETS } from './dataset-names.js';
export type { Fault, FaultKind, FaultRule, InjectedFault, PerEventFault, StatusFault } from './faults.js';
export { HONEYCOMB_ERRORS } from './http.js';
export { PERMISSION_NAMES } from './auth.js';
export { SLO_PLAN_REFUSAL } from './slos.js';
export type { Board, DerivedColumn, Plan, QueryAnnotation, SavedQuery, Slo, Trigger } from './config-store.js';
export type { TypeDetail } from './problems.js';
export type { RateLimitPolicy } from './rate-limit.js';
export type { Dataset, Marker, RecordedRequest, StoredEvent, StoredMarker } from './store.js';

const ROUTES: Route[] = [...authRoutes, ...batchRoutes, ...markerRoutes, ...otlpRoutes];

export interface StandInOptions {
  /** Keys besides the default ingest and configuration keys. */
  keys?: KeySpec[];
  /** Milliseconds since the epoch; drives receive times, default event times and marker times. */
  clock?: () => number;
  /** Cap on a decompressed /1/batch body (default 5,000,000 bytes). */
  maxBatchBytes?: number;
  /** What a key without the needed permission gets (default 401; the real code is unconfirmed). */
  permissionDeniedStatus?: 401 | 403;
  /** The team's plan (default 'enterprise'); on 'free' every SLO endpoint answers 403 (see slos.ts). */
  plan?: Plan;
  /** The configuration APIs' rate limit per key (default 100 requests per 60 s, the docs' example). */
  configRateLimit?: RateLimitPolicy;
}

export class HoneycombStandIn {
  /** An Environment ingest key (hcxik_…) that may create datasets. */
  public readonly ingestKey: string;
  /** An Environment configuration key (hcxlk_…) with every permission. */
  public readonly configKey: string;
  private readonly store = new Store();
  private readonly keyRing = new KeyRing();
  private readonly faultList = new FaultList();
  private readonly config: ConfigStore;
  private readonly limiter: RateLimiter;
  private readonly initialPermissionDeniedStatus: 401 | 403;
  private readonly context: RouteContext;
  private readonly server: StandInServer;

  private constructor(options: StandInOptions) {
    this.context = {
      store: this.store, keys: this.keyRing, clock: options.clock ?? Date.now,
      maxBatchBytes: options.maxBatchBytes ?? 5_000_000, permissionDeniedStatus: options.permissionDeniedStatus ?? 401,
    };
    this.ingestKey = this.keyRing.add({ type: 'ingest' }).key;
    this.configKey = this.keyRing.add({ type: 'configuration' }).key;
    for (const spec of options.keys ?? []) this.keyRing.add(spec);
    this.initialPermissionDeniedStatus = this.context.permissionDeniedStatus;
    this.config = new ConfigStore(options.plan ?? 'enterprise');
    this.limiter = new RateLimiter(options.configRateLimit ?? DEFAULT_RATE_LIMIT);
    const routes = [...ROUTES, ...configApiRoutes(this.config, this.limiter)];
    this.server = new StandInServer(this.context, this.faultList, routes, inspectionRoutes(() => this.reset(), this.config));
  }

  public static async start(options: StandInOptions = {}): Promise<HoneycombStandIn> {
    const standIn = new HoneycombStandIn(options);
    await standIn.server.listen();
    return standIn;
  }

  public get url(): string {
    return this.server.url;
  }

  public addKey(spec: KeySpec): KeyRecord {
    return this.keyRing.add(spec);
  }

  public key(value: string): KeyRecord | undefined {
    return this.keyRing.find(value);
  }

  /** Creates a dataset in the environment of `key` (default: the ingest key's), as if an event had named it. */
  public addDataset(name: string, key: string = this.ingestKey): Dataset {
    const record = this.keyRing.find(key);
    if (!record) throw new Error('addDataset: unknown key');
    if (!isDatasetName(name)) throw new Error(`addDataset: ${JSON.stringify(name)} cannot name a dataset`);
    return this.store.ensureDataset(scopeOf(record), record.environment.slug, name, datasetSlug(name), new Date(this.context.clock()));
  }

  public datasets(): Dataset[] {
    return this.store.datasets;
  }

  /** Accepted events, in arrival order; `dataset` matches by slug, so any casing works. */
  public events(dataset?: string): StoredEvent[] {
    const slug = dataset === undefined ? undefined : datasetSlug(dataset);
    return this.store.events.filter((e) => slug === undefined || e.dataset === slug);
  }

  /** Current markers; `dataset` matches by slug, or pass __all__ for environment-wide ones. */
  public markers(dataset?: string): StoredMarker[] {
    const slug = dataset === undefined || dataset === ALL_DATASETS ? dataset : datasetSlug(dataset);
    return this.store.markers.filter((m) => slug === undefined || m.dataset === slug);
  }

  /** The team's plan; 'free' refuses SLOs. reset() puts back the one given to start(). */
  public get plan(): Plan {
    return this.config.plan;
  }

  public set plan(plan: Plan) {
    this.config.plan = plan;
  }

  /** What a key lacking a permission gets from now on: 401 (the unknown-key body) or 403 naming the permission. */
  public get permissionDeniedStatus(): 401 | 403 {
    return this.context.permissionDeniedStatus;
  }

  public set permissionDeniedStatus(status: 401 | 403) {
    this.context.permissionDeniedStatus = status;
  }

  /** Derived columns as the API returns them; `dataset` (any casing, or __all__) narrows to one dataset. */
  public derivedColumns(dataset?: string): DerivedColumn[] {
    return this.config.values('derivedColumns', configSlug(dataset));
  }

  /** Saved queries (triggers' inline queries included), with their ids. */
  public queries(dataset?: string): SavedQuery[] {
    return this.config.values('queries', configSlug(dataset));
  }

  public queryAnnotations(dataset?: string): QueryAnnotation[] {
    return this.config.values('annotations', configSlug(dataset));
  }

  public triggers(dataset?: string): Trigger[] {
    return this.config.values('triggers', configSlug(dataset));
  }

  /** SLOs; a dataset gets those evaluated on it, multi-dataset ones included. */
  public slos(dataset?: string): Slo[] {
    return this.config.values('slos', configSlug(dataset));
  }

  public boards(): Board[] {
    return this.config.values('boards');
  }

  /** Every request but the /__standin/ ones, with raw headers and the status it got. */
  public get requests(): readonly RecordedRequest[] {
    return this.store.requests;
  }

  /** Adds faults after any already injected; returns them so a test can read how many requests each took. */
  public injectFaults(rules: FaultRule[]): InjectedFault[] {
    return this.faultList.add(rules);
  }

  public clearFaults(): void {
    this.faultList.clear();
  }

  public get faults(): readonly InjectedFault[] {
    return this.faultList.all;
  }

  /** Back to just-started: no datasets, events, markers, configuration, requests, faults or rate-limit counts;
   * held answers dropped; plan and permissionDeniedStatus as given to start(). Keys stay. */
  public reset(): void {
    this.server.release();
    this.faultList.clear();
    this.store.clear();
    this.config.clear();
    this.limiter.clear();
    this.context.permissionDeniedStatus = this.initialPermissionDeniedStatus;
  }

  /** Closes every connection (hung ones included) and cancels delayed answers. */
  public async stop(): Promise<void> {
    await this.server.close();
  }
}

function configSlug(dataset: string | undefined): string | undefined {
  return dataset === undefined || dataset === ALL_DATASETS ? dataset : datasetSlug(dataset);
}
