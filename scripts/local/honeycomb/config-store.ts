/**
 * What the configuration APIs keep: derived columns, saved queries and their annotations, triggers, SLOs,
 * boards and dataset settings, each tagged with its environment (scope) and dataset slug (or __all__; '' for
 * boards, which belong to the environment). Values are held in the shape the API returns. Also the team's plan,
 * which gates SLOs. Ids are 11 base62 characters like Honeycomb's, derived from a counter so runs repeat.
 */
import { createHash } from 'node:crypto';
import type { Tag } from './validation.js';

export type Plan = 'free' | 'pro' | 'enterprise';

export interface Scoped<T> {
  scope: string;
  /** A dataset slug, __all__ for environment-wide, '' for boards. */
  dataset: string;
  value: T;
}

export interface DerivedColumn {
  id: string;
  alias: string;
  expression: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** A saved query: its spec (the fields the stand-in knows) plus `id`. */
export type SavedQuery = Record<string, unknown> & { id: string };

export interface QueryAnnotation {
  id: string;
  name: string;
  description: string;
  query_id: string;
  source: 'query';
  created_at: string;
  updated_at: string;
}

export interface Trigger {
  id: string;
  dataset_slug: string;
  name: string;
  description: string;
  tags: Tag[];
  threshold: { op: string; value: number; exceeded_limit: number };
  frequency: number;
  alert_type: string;
  disabled: boolean;
  triggered: boolean;
  recipients: Record<string, unknown>[];
  evaluation_schedule_type: string;
  evaluation_schedule?: Record<string, unknown>;
  query_id: string;
  query: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface Slo {
  id: string;
  name: string;
  description: string;
  sli: { alias: string };
  time_period_days: number;
  target_per_million: number;
  tags: Tag[];
  reset_at: string | null;
  created_at: string;
  updated_at: string;
  dataset_slugs: string[];
}

export interface Board {
  id: string;
  name: string;
  description: string;
  type: 'flexible';
  panels: Record<string, unknown>[];
  tags: Tag[];
  preset_filters: Record<string, unknown>[];
  links: { board_url: string };
}

/** What POST /1/datasets sets besides the name; the dataset itself lives in the shared Store. */
export interface DatasetSettings { description: string; expand_json_depth: number }

export type ConfigKind = 'derivedColumns' | 'queries' | 'annotations' | 'triggers' | 'slos' | 'boards';
export type ConfigValue<K extends ConfigKind> = ConfigStore[K] extends Scoped<infer T>[] ? T : never;

export function base62Id(seed: string, length = 11): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...createHash('sha256').update(seed).digest()].slice(0, length).map((byte) => alphabet[byte % 62]).join('');
}

export class ConfigStore {
  public readonly derivedColumns: Scoped<DerivedColumn>[] = [];
  public readonly queries: Scoped<SavedQuery>[] = [];
  public readonly annotations: Scoped<QueryAnnotation>[] = [];
  public readonly triggers: Scoped<Trigger>[] = [];
  public readonly slos: Scoped<Slo>[] = [];
  public readonly boards: Scoped<Board>[] = [];
  public readonly datasetSettings = new Map<string, DatasetSettings>();
  public plan: Plan;
  private serial = 0;

  public constructor(private readonly initialPlan: Plan) {
    this.plan = initialPlan;
  }

  /** Copies of what a kind holds, in creation order; `dataset` (a slug or __all__) narrows to one dataset. An SLO
   * belongs to every dataset in its dataset_slugs. */
  public values<K extends ConfigKind>(kind: K, dataset?: string): ConfigValue<K>[] {
    const entries = this[kind] as Scoped<ConfigValue<K>>[];
    return entries
      .filter((e) => dataset === undefined || e.dataset === dataset || (kind === 'slos' && (e.value as Slo).dataset_slugs.includes(dataset)))
      .map((e) => structuredClone(e.value));
  }

  public nextId(): string {
    return base62Id(`honeycomb-stand-in-config-${++this.serial}`);
  }

  /** Back to just-started, plan included. */
  public clear(): void {
    for (const list of [this.derivedColumns, this.queries, this.annotations, this.triggers, this.slos, this.boards]) list.length = 0;
    this.datasetSettings.clear();
    this.plan = this.initialPlan;
    this.serial = 0;
  }
}

/** The entries of `list` in one environment and dataset (or __all__). */
export function within<T>(list: Scoped<T>[], scope: string, dataset: string): Scoped<T>[] {
  return list.filter((entry) => entry.scope === scope && entry.dataset === dataset);
}
