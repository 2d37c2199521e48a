/**
 * The Honeycomb configuration this project wants for one dataset, taken from
 * reference/genops-honeycomb-integration.md (derived columns, triggers, SLOs, board queries) and written in the
 * API's own shapes (reference/honeycomb-api.md §7.2). The reference gives formulas in pseudo-syntax; here they
 * are Honeycomb's calculated-field language ($column, IF/SWITCH/DIV…). Where the reference cannot be followed
 * as written, the deviation is noted next to the value.
 */

export interface DerivedColumnSpec { alias: string; expression: string; description: string }

export interface QuerySpec {
  calculations: Array<{ op: string; column?: string }>;
  filters?: Array<{ column: string; op: string; value?: unknown }>;
  breakdowns?: string[];
  orders?: Array<{ op?: string; column?: string; order: 'ascending' | 'descending' }>;
  limit?: number;
  time_range: number;
}

export interface TriggerSpec {
  name: string;
  description: string;
  query: QuerySpec;
  threshold: { op: '>' | '>=' | '<' | '<='; value: number };
  frequency: number;
  alert_type: 'on_change' | 'on_true';
}

export interface SloSpec { name: string; description: string; sli: { alias: string }; time_period_days: number; target_per_million: number }

export interface BoardQuery { caption: string; query: QuerySpec }
export interface BoardSpec { name: string; description: string; queries: BoardQuery[] }

export interface DesiredState {
  dataset: string;
  derivedColumns: DerivedColumnSpec[];
  triggers: TriggerSpec[];
  slos: SloSpec[];
  board: BoardSpec;
}

const COST = 'genops.cost.total';
const DAY = 86_400;

export function desiredState(dataset: string): DesiredState {
  const derivedColumns: DerivedColumnSpec[] = [
    {
      alias: 'cost_per_token',
      expression: 'IF(GT($genops.tokens.total, 0), DIV($genops.cost.total, $genops.tokens.total))',
      description: 'USD per token (genops.cost.total / genops.tokens.total); empty when no tokens',
    },
    {
      alias: 'budget_utilization_pct',
      expression: 'IF(GT($genops.budget.limit, 0), MUL(DIV($genops.budget.consumed, $genops.budget.limit), 100))',
      description: 'Budget consumed as a percentage of its limit',
    },
    {
      alias: 'token_throughput',
      expression: 'IF(GT($duration_ms, 0), DIV($genops.tokens.total, DIV($duration_ms, 1000)))',
      description: 'Tokens per second of the operation',
    },
    {
      alias: 'cost_bucket',
      expression: 'IF(LT($genops.cost.total, 0.01), "micro", LT($genops.cost.total, 0.1), "small", LT($genops.cost.total, 1), "medium", EXISTS($genops.cost.total), "large")',
      description: 'Spend level of the operation: micro < $0.01 <= small < $0.10 <= medium < $1 <= large',
    },
    {
      alias: 'customer_tier_group',
      expression: 'SWITCH($genops.customer_tier, "enterprise", "paid", "business", "paid", "free", "free", "unknown")',
      description: 'paid (enterprise, business), free, or unknown',
    },
    // SLIs: an SLO counts events whose SLI is true as good, false as bad, and skips empty ones.
    {
      alias: 'sli_policy_compliance',
      expression: 'IF(EXISTS($genops.policy.result), SWITCH($genops.policy.result, "allowed", true, "warning", true, false))',
      description: 'SLI: the policy verdict was allowed or warning (not blocked)',
    },
    {
      alias: 'sli_cost_efficiency',
      expression: 'IF(EXISTS($genops.cost.total), LT($genops.cost.total, 0.1))',
      description: 'SLI: the AI operation cost less than $0.10',
    },
    {
      alias: 'sli_performance',
      expression: 'IF(EXISTS($genops.tokens.total), LT($duration_ms, 2000))',
      description: 'SLI: the AI operation completed in under 2 seconds',
    },
  ];

  const triggers: TriggerSpec[] = [
    {
      name: 'AI Budget Utilization >= 90%',
      description: 'A GenOps budget has used 90% or more of its limit',
      query: { calculations: [{ op: 'MAX', column: 'budget_utilization_pct' }], filters: [{ column: 'genops.budget.id', op: 'exists' }], time_range: 600 },
      threshold: { op: '>=', value: 90 }, frequency: 300, alert_type: 'on_change',
    },
    {
      // The reference evaluates every 10 minutes over an hour, but a trigger's time_range may be at most
      // 4 x frequency: every 15 minutes over the last hour keeps the $100/hour threshold meaningful.
      name: 'Hourly Cost Spike',
      description: 'AI spend over the last hour is above $100',
      query: { calculations: [{ op: 'SUM', column: COST }], time_range: 3_600 },
      threshold: { op: '>', value: 100 }, frequency: 900, alert_type: 'on_change',
    },
    {
      name: 'Policy Violations Elevated',
      description: 'More than 50 operations were blocked by policy in the last hour',
      query: { calculations: [{ op: 'COUNT' }], filters: [{ column: 'genops.policy.result', op: '=', value: 'blocked' }], time_range: 3_600 },
      threshold: { op: '>', value: 50 }, frequency: 900, alert_type: 'on_change',
    },
  ];

  const slos: SloSpec[] = [
    { name: 'Policy Compliance SLO', description: '99.9% of AI operations are not blocked by policy', sli: { alias: 'sli_policy_compliance' }, time_period_days: 30, target_per_million: 999_000 },
    { name: 'Cost Efficiency SLO', description: '90% of AI operations cost less than $0.10', sli: { alias: 'sli_cost_efficiency' }, time_period_days: 30, target_per_million: 900_000 },
    { name: 'AI Operation Performance SLO', description: '95% of AI operations complete in under 2 seconds', sli: { alias: 'sli_performance' }, time_period_days: 7, target_per_million: 950_000 },
  ];

  const sumDesc = [{ op: 'SUM', column: COST, order: 'descending' as const }];
  const board: BoardSpec = {
    // Boards are environment-wide, so the name carries the dataset.
    name: `GenOps AI Governance (${dataset})`,
    description: `AI cost, latency, policy and budget views over the ${dataset} dataset`,
    queries: [
      { caption: 'Cost by provider and model', query: { calculations: [{ op: 'SUM', column: COST }, { op: 'COUNT' }], breakdowns: ['genops.cost.provider', 'genops.cost.model'], orders: sumDesc, time_range: DAY } },
      { caption: 'Top 20 customers by cost', query: { calculations: [{ op: 'SUM', column: COST }], breakdowns: ['genops.customer_id'], orders: sumDesc, limit: 20, time_range: DAY } },
      { caption: 'Cost by team, project and environment', query: { calculations: [{ op: 'SUM', column: COST }], breakdowns: ['genops.team', 'genops.project', 'genops.environment'], orders: sumDesc, time_range: DAY } },
      { caption: 'Cost by customer tier', query: { calculations: [{ op: 'SUM', column: COST }, { op: 'COUNT' }, { op: 'AVG', column: COST }], breakdowns: ['customer_tier_group'], time_range: DAY } },
      { caption: 'Latency percentiles by model', query: { calculations: [{ op: 'P50', column: 'duration_ms' }, { op: 'P95', column: 'duration_ms' }, { op: 'P99', column: 'duration_ms' }], breakdowns: ['genops.cost.model'], time_range: DAY } },
      { caption: 'Token throughput by model', query: { calculations: [{ op: 'AVG', column: 'token_throughput' }], breakdowns: ['genops.cost.model'], time_range: DAY } },
      { caption: 'Policy violations by policy', query: { calculations: [{ op: 'COUNT' }], filters: [{ column: 'genops.policy.result', op: '=', value: 'blocked' }], breakdowns: ['genops.policy.name'], time_range: DAY } },
      { caption: 'Budget utilization by budget', query: { calculations: [{ op: 'AVG', column: 'budget_utilization_pct' }], filters: [{ column: 'genops.budget.id', op: 'exists' }], breakdowns: ['genops.budget.id'], time_range: DAY } },
    ],
  };

  return { dataset, derivedColumns, triggers, slos, board };
}
