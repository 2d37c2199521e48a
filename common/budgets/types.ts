/** Budget definitions: one schema for the budgets file, the functions' environment and the CDK props. */

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['daily', 'weekly', 'monthly'];

/**
 * The governance fields a budget can match on, and the span or resource attributes each is read from, in
 * order of preference (the span's own value wins over its resource's).
 */
export const MATCH_FIELDS = {
  team: ['genops.team'],
  project: ['genops.project'],
  environment: ['genops.environment', 'deployment.environment.name', 'deployment.environment'],
  customer_id: ['genops.customer_id'],
  user_id: ['genops.user_id'],
  feature: ['genops.feature'],
  cost_center: ['genops.cost_center'],
  model: ['genops.cost.model', 'gen_ai.request.model', 'gen_ai.response.model'],
  provider: ['genops.cost.provider', 'gen_ai.provider.name', 'gen_ai.system'],
  service: ['service.name'],
} as const satisfies Record<string, readonly string[]>;

export type MatchField = keyof typeof MATCH_FIELDS;

/** A budget as users write it (JSON file, environment variable or CDK props). */
export interface BudgetDefinitionInput {
  id: string;
  limitUsd: number;
  period: BudgetPeriod;
  /** IANA time zone the period boundaries follow; UTC when absent. */
  timeZone?: string;
  /** Every listed field must equal (one of) the given values; an empty or absent match takes all spend. */
  match?: Partial<Record<MatchField, string | string[]>>;
  /** Utilization percentages that raise an alert once per period; [50, 80, 90, 100] when absent. */
  thresholds?: number[];
  /** Linked from the budget's Honeycomb markers (a runbook or a dashboard). */
  url?: string;
  description?: string;
}

/** A validated, normalized budget. */
export interface BudgetDefinition {
  id: string;
  limitUsd: number;
  period: BudgetPeriod;
  timeZone: string;
  match: Partial<Record<MatchField, string[]>>;
  /** Ascending, distinct. */
  thresholds: number[];
  url?: string;
  description?: string;
}

export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 90, 100];
