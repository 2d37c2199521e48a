/**
 * API keys as Honeycomb models them (reference/honeycomb-api.md §1, §6): ingest or configuration, Classic or
 * Environment (told apart by the key's format, exactly as libhoney, husky and Refinery do), each with an
 * environment, a team and permissions. Also GET /1/auth, which describes the calling key. Generated keys are
 * deterministic, so a run's keys are the same every time.
 */
import { createHash } from 'node:crypto';
import { error, header, json, type Exchange, type Reply, type Route, type RouteContext, HONEYCOMB_ERRORS } from './http.js';

export type KeyType = 'ingest' | 'configuration';

export interface Permissions {
  events: boolean;
  markers: boolean;
  triggers: boolean;
  boards: boolean;
  queries: boolean;
  columns: boolean;
  createDatasets: boolean;
  slos: boolean;
  recipients: boolean;
  privateBoards: boolean;
}

export interface NameAndSlug { name: string; slug: string }

export interface KeyRecord {
  /** The X-Honeycomb-Team value. */
  key: string;
  /** The Key ID /1/auth reports: the first 32 chars of a 64-char key, else (32-hex Classic) the key itself. */
  id: string;
  type: KeyType;
  classic: boolean;
  /** Empty name and slug for Classic keys. */
  environment: NameAndSlug;
  team: NameAndSlug;
  permissions: Permissions;
}

/** What `addKey` takes: everything but the type may be left to defaults; `classic` picks the generated format. */
export interface KeySpec {
  type: KeyType;
  key?: string;
  id?: string;
  classic?: boolean;
  environment?: NameAndSlug;
  team?: NameAndSlug;
  permissions?: Partial<Permissions>;
}

export const DEFAULT_ENVIRONMENT: NameAndSlug = { name: 'Local', slug: 'local' };
export const DEFAULT_TEAM: NameAndSlug = { name: 'Local Team', slug: 'local-team' };

const NO_PERMISSIONS: Permissions = {
  events: false, markers: false, triggers: false, boards: false, queries: false,
  columns: false, createDatasets: false, slos: false, recipients: false, privateBoards: false,
};
const ALL_PERMISSIONS: Permissions = {
  events: true, markers: true, triggers: true, boards: true, queries: true,
  columns: true, createDatasets: true, slos: true, recipients: true, privateBoards: true,
};

/** Classic keys: 32 lower-case hex (config/"write" keys) or 64 chars `hc<letter>ic_…` (ingest keys). */
export function isClassicKey(key: string): boolean {
  if (key.length === 32) return /^[0-9a-f]*$/.test(key);
  if (key.length === 64) return /^hc[a-z]ic_[0-9a-z]*$/.test(key);
  return false;
}

/** Datasets, markers and events belong to one environment of one team (Classic: the team itself). */
export function scopeOf(key: KeyRecord): string {
  return `${key.team.slug}/${key.environment.slug}`;
}

export class KeyRing {
  private readonly byValue = new Map<string, KeyRecord>();
  private serial = 0;

  public add(spec: KeySpec): KeyRecord {
    const n = ++this.serial;
    const value = spec.key ?? generateKey(spec.type, spec.classic ?? false, n);
    const classic = isClassicKey(value);
    if (spec.classic !== undefined && spec.classic !== classic) {
      throw new Error(`key ${value.slice(0, 8)}… is ${classic ? '' : 'not '}in a Classic format, but classic: ${spec.classic} was asked for`);
    }
    if (this.byValue.has(value)) throw new Error(`key ${value.slice(0, 8)}… is already registered`);
    const permissions = spec.type === 'ingest'
      // Ingest keys only write telemetry and, optionally, create datasets; nothing else can be granted.
      ? { ...NO_PERMISSIONS, events: true, createDatasets: spec.permissions?.createDatasets ?? true }
      : { ...ALL_PERMISSIONS, ...spec.permissions };
    const record: KeyRecord = {
      key: value,
      id: spec.id ?? (value.length === 64 ? value.slice(0, 32) : value),
      type: spec.type,
      classic,
      environment: classic ? { name: '', slug: '' } : { ...(spec.environment ?? DEFAULT_ENVIRONMENT) },
      team: { ...(spec.team ?? DEFAULT_TEAM) },
      permissions,
    };
    this.byValue.set(value, record);
    return record;
  }

  public find(value: string): KeyRecord | undefined {
    return this.byValue.get(value);
  }
}

/** Key ID (prefix + 26) followed by a 32-char secret, the way Environment keys are issued; Classic formats otherwise. */
function generateKey(type: KeyType, classic: boolean, n: number): string {
  const secret = createHash('sha256').update(`honeycomb-stand-in-key-${n}`).digest('hex');
  if (classic && type === 'configuration') return secret.slice(0, 32);
  const prefix = classic ? 'hcaic_' : type === 'ingest' ? 'hcxik_' : 'hcxlk_';
  return `${prefix}${String(n).padStart(26, '0')}${secret.slice(0, 32)}`;
}

/** The calling key, or the 401 every API gives for a missing or unknown X-Honeycomb-Team. */
export function authenticate(exchange: Exchange, context: RouteContext): KeyRecord | Reply {
  const value = header(exchange.headers, 'x-honeycomb-team');
  return (value === '' ? undefined : context.keys.find(value)) ?? error(401, HONEYCOMB_ERRORS.unknownKey);
}

/** Each permission as the Honeycomb UI and docs name it (§1). `columns` is "Manage Queries and Columns" and
 * `queries` is "Run Queries": Query Data needs both (§1, §8), which is how the two fields are told apart. */
export const PERMISSION_NAMES: Record<keyof Permissions, string> = {
  events: 'Send Events', markers: 'Manage Markers', triggers: 'Manage Triggers', boards: 'Manage Public Boards',
  queries: 'Run Queries', columns: 'Manage Queries and Columns', createDatasets: 'Create Datasets', slos: 'Manage SLOs',
  recipients: 'Manage Recipients', privateBoards: 'Manage Private Boards',
};

/** undefined when the key holds the permission; otherwise the refusal (401 by default, see RouteContext). */
export function permit(key: KeyRecord, permission: keyof Permissions, context: RouteContext): Reply | undefined {
  return key.permissions[permission] ? undefined : refuse(key, permission, context);
}

/** The answer to a key that may not do what needs `permission`: an ingest key, or a configuration key without it. */
export function refuse(key: KeyRecord, permission: keyof Permissions, context: RouteContext): Reply {
  // The real answer is not documented (§11.6, §12). 401 reuses the spec's only 401 body, the unknown-key one;
  // 403 names what is missing, in the spec's legacy {"error"} shape for a 403.
  if (context.permissionDeniedStatus === 401) return error(401, HONEYCOMB_ERRORS.unknownKey);
  const name = PERMISSION_NAMES[permission];
  return error(403, key.type === 'ingest'
    ? `Ingest keys cannot use this API: it needs a configuration key with the "${name}" permission`
    : `API key does not have the "${name}" permission`);
}

/** `api_key_access` as the spec spells it (createDatasets, not create_datasets): ingest keys list only that one. */
export function apiKeyAccess(key: KeyRecord): Partial<Permissions> {
  return key.type === 'ingest' ? { createDatasets: key.permissions.createDatasets } : { ...key.permissions };
}

export const authRoutes: Route[] = [{
  method: 'GET',
  path: /^\/1\/auth$/,
  handle(exchange, _params, context) {
    const key = authenticate(exchange, context);
    if ('status' in key) return key;
    return json(200, { id: key.id, type: key.type, api_key_access: apiKeyAccess(key), environment: key.environment, team: key.team });
  },
}];
