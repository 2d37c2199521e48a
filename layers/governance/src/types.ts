import type { Context } from 'aws-lambda';
import type { GOVERNANCE_FIELDS } from './semconv.js';

export type GovernanceField = (typeof GOVERNANCE_FIELDS)[number];

/** The governance context of an invocation. Standard fields plus any custom lower_snake_case field. */
export type GovernanceContext = Partial<Record<GovernanceField, string>> & Record<string, string | undefined>;

/**
 * Where to read a context field from the event: `header:<name>`, `claim:<name>` (API Gateway/ALB authorizer
 * claims, JWT or Cognito), or `path:<dot.path>` into the event (e.g. `path:detail.customer`).
 */
export type ExtractRule = `header:${string}` | `claim:${string}` | `path:${string}`;
export type ExtractRules = Partial<Record<string, ExtractRule>>;

/** USD per one million tokens. Keys are `provider/model` or just `model`. */
export interface ModelPrice { input: number; output: number }
export type PriceTable = Record<string, ModelPrice>;

export interface GovernanceOptions extends Partial<Record<GovernanceField, string>> {
  /** Context fields read from each event; merged over the environment's GOVERNANCE_EXTRACT. */
  extract?: ExtractRules;
  /** Prices merged over the built-in table and GOVERNANCE_PRICES. */
  prices?: PriceTable;
  /** Root span name; defaults to the function name. */
  spanName?: string;
}

export interface CostRecord {
  provider: string;
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  /** USD; when omitted it is computed from the price table. */
  inputCost?: number;
  outputCost?: number;
  totalCost?: number;
  /** gen_ai.operation.name, e.g. chat, embeddings. Defaults to chat. */
  operation?: string;
  /** Per-call context overrides (highest precedence), e.g. { feature: 'summarise' }. */
  context?: GovernanceContext;
}

export type PolicyResult = 'allowed' | 'warning' | 'blocked';
export interface PolicyRecord { name: string; result: PolicyResult; reason?: string; responseTimeMs?: number }
export interface BudgetRecord { id: string; limit: number; consumed: number; remaining?: number }
export type EvaluationRecord = Partial<Record<'safety' | 'accuracy' | 'compliance' | 'privacy', number>>;

export interface TelemetryStats {
  /** spans handed to the exporter and acknowledged */
  exported: number;
  /** spans waiting in the carry-over buffer for the next flush */
  carriedOver: number;
  /** spans lost for good (buffers full or permanently refused), since the process started */
  dropped: number;
  flushes: number;
  /** flushes that hit their deadline */
  flushTimeouts: number;
}

/** The handler shapes we wrap. Callback-style handlers are accepted and turned into promise handlers. */
export type LambdaHandler<TEvent, TResult> =
  | ((event: TEvent, context: Context) => Promise<TResult>)
  | ((event: TEvent, context: Context) => TResult)
  | ((event: TEvent, context: Context, callback: (error?: unknown, result?: TResult) => void) => void | Promise<TResult>);

export type GovernedHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;
