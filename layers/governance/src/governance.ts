/**
 * The `governance` object: read and extend the invocation's context, record cost, policy, budget and
 * evaluation facts, and open child spans. Outside an invocation every call is a logged no-op; no call
 * ever throws into user code.
 */
import { SpanKind, SpanStatusCode, context as otelContext, trace, type Span, type Tracer } from '@opentelemetry/api';
import { decide, exceeded, BudgetStatusReader, type BudgetCheckOptions, type BudgetDecision } from './budget-check.js';
import { warnOnce } from './logger.js';
import { roundUsd } from './pricing.js';
import { currentInvocation, existingRuntime, updateFields, type GovernanceRuntime, type Invocation } from './runtime.js';
import { contextAttributes } from './sanitize.js';
import { ATTR, EVAL_METRICS, GOVERNANCE_PREFIX } from './semconv.js';
import type { BudgetRecord, CostRecord, EvaluationRecord, GovernanceContext, PolicyRecord, TelemetryStats } from './types.js';

export interface CostSummary {
  inputCost: number;
  outputCost: number;
  totalCost: number;
  /** true when the cost came from the price table rather than from the caller */
  estimated: boolean;
}

const POLICY_RESULTS = new Set(['allowed', 'warning', 'blocked']);

function invocationOrWarn(operation: string): Invocation | undefined {
  const invocation = currentInvocation();
  if (!invocation) warnOnce(`outside:${operation}`, `governance.${operation}() called outside a governed invocation; ignored`);
  return invocation;
}

/** The span facts should land on: the active span if it belongs to this invocation's trace, else the root. */
function targetSpan(invocation: Invocation): Span {
  const active = trace.getActiveSpan();
  if (active && active.spanContext().traceId === invocation.rootSpan.spanContext().traceId && active.isRecording()) return active;
  return invocation.rootSpan;
}

function guarded<A extends unknown[], R>(operation: string, fn: (...args: A) => R): (...args: A) => R | undefined {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (error) {
      warnOnce(`failed:${operation}`, `governance.${operation}() failed and was ignored: ${(error as Error).message}`);
      return undefined;
    }
  };
}

function computeCost(invocation: Invocation, record: CostRecord, inputTokens: number | undefined, outputTokens: number | undefined): CostSummary | undefined {
  const s = invocation.runtime.sanitizer;
  const givenInput = s.nonNegative('inputCost', record.inputCost);
  const givenOutput = s.nonNegative('outputCost', record.outputCost);
  const givenTotal = s.nonNegative('totalCost', record.totalCost);
  if (givenInput !== undefined || givenOutput !== undefined || givenTotal !== undefined) {
    const inputCost = givenInput ?? 0;
    const outputCost = givenOutput ?? 0;
    return { inputCost, outputCost, totalCost: givenTotal ?? roundUsd(inputCost + outputCost), estimated: false };
  }
  const price = invocation.prices.lookup(record.provider, record.model);
  if (!price) {
    warnOnce(`no-price:${record.provider}/${record.model}`, `no price for ${record.provider}/${record.model}; tokens recorded without cost (set GOVERNANCE_PRICES)`);
    return undefined;
  }
  const inputCost = roundUsd(((inputTokens ?? 0) * price.input) / 1e6);
  const outputCost = roundUsd(((outputTokens ?? 0) * price.output) / 1e6);
  return { inputCost, outputCost, totalCost: roundUsd(inputCost + outputCost), estimated: true };
}

function recordCost(record: CostRecord): CostSummary | undefined {
  const invocation = invocationOrWarn('recordCost');
  if (!invocation || record === null || typeof record !== 'object') return undefined;
  const s = invocation.runtime.sanitizer;
  const provider = s.text('provider', record.provider);
  const model = s.text('model', record.model);
  if (!provider || !model) return undefined;
  const inputTokens = s.nonNegative('inputTokens', record.inputTokens);
  const outputTokens = s.nonNegative('outputTokens', record.outputTokens);
  const cost = computeCost(invocation, { ...record, provider, model }, inputTokens, outputTokens);
  const operation = s.text('operation', record.operation) ?? 'chat';

  const fields: GovernanceContext = { ...invocation.fields };
  if (record.context !== undefined) s.mergeContext(fields, record.context);
  const attributes: Record<string, string | number | boolean> = {
    ...contextAttributes(fields),
    [ATTR.GEN_AI_OPERATION_NAME]: operation,
    [ATTR.GEN_AI_PROVIDER_NAME]: provider,
    [ATTR.GEN_AI_REQUEST_MODEL]: model,
    [ATTR.COST_PROVIDER]: provider,
    [ATTR.COST_MODEL]: model,
  };
  if (inputTokens !== undefined) {
    attributes[ATTR.GEN_AI_USAGE_INPUT_TOKENS] = inputTokens;
    attributes[ATTR.TOKENS_INPUT] = inputTokens;
  }
  if (outputTokens !== undefined) {
    attributes[ATTR.GEN_AI_USAGE_OUTPUT_TOKENS] = outputTokens;
    attributes[ATTR.TOKENS_OUTPUT] = outputTokens;
  }
  if (inputTokens !== undefined || outputTokens !== undefined) attributes[ATTR.TOKENS_TOTAL] = (inputTokens ?? 0) + (outputTokens ?? 0);
  if (cost) {
    attributes[ATTR.COST_INPUT] = cost.inputCost;
    attributes[ATTR.COST_OUTPUT] = cost.outputCost;
    attributes[ATTR.COST_TOTAL] = cost.totalCost;
    attributes[ATTR.COST_CURRENCY] = 'USD';
    attributes[ATTR.COST_ESTIMATED] = cost.estimated;
  }

  // One cost per span, so SUM(genops.cost.total) in Honeycomb never double-counts: annotate the active child
  // span when it has no cost yet, otherwise record the call as its own CLIENT span.
  const active = targetSpan(invocation);
  if (active !== invocation.rootSpan && !invocation.costedSpans.has(active)) {
    invocation.costedSpans.add(active);
    active.setAttributes(attributes);
  } else {
    const span = invocation.runtime.tracer.startSpan(`${operation} ${model}`, { kind: SpanKind.CLIENT, attributes }, otelContext.active());
    span.end();
  }
  return cost;
}

function recordPolicy(record: PolicyRecord): void {
  const invocation = invocationOrWarn('recordPolicy');
  if (!invocation || record === null || typeof record !== 'object') return;
  const s = invocation.runtime.sanitizer;
  const name = s.text('policy name', record.name);
  if (!name) return;
  if (!POLICY_RESULTS.has(record.result)) {
    warnOnce('policy-result', 'policy result must be allowed, warning or blocked; policy not recorded');
    return;
  }
  const attributes: Record<string, string | number> = { [ATTR.POLICY_NAME]: name, [ATTR.POLICY_RESULT]: record.result };
  const reason = s.text('policy reason', record.reason);
  if (reason) attributes[ATTR.POLICY_REASON] = reason;
  const responseTime = s.nonNegative('policy responseTimeMs', record.responseTimeMs);
  if (responseTime !== undefined) attributes[ATTR.POLICY_RESPONSE_TIME] = responseTime;
  const span = targetSpan(invocation);
  span.setAttributes(attributes);
  span.addEvent('genops.policy', attributes);
}

function recordBudget(record: BudgetRecord): void {
  const invocation = invocationOrWarn('recordBudget');
  if (!invocation || record === null || typeof record !== 'object') return;
  const s = invocation.runtime.sanitizer;
  const id = s.text('budget id', record.id);
  const limit = s.nonNegative('budget limit', record.limit);
  const consumed = s.nonNegative('budget consumed', record.consumed);
  if (!id || limit === undefined || consumed === undefined) return;
  const remaining = record.remaining === undefined ? Math.max(0, limit - consumed) : s.nonNegative('budget remaining', record.remaining);
  const attributes: Record<string, string | number> = {
    [ATTR.BUDGET_ID]: id,
    [ATTR.BUDGET_LIMIT]: limit,
    [ATTR.BUDGET_CONSUMED]: consumed,
    [ATTR.BUDGET_UTILIZATION_PCT]: limit > 0 ? Math.round((consumed / limit) * 10_000) / 100 : 0,
  };
  if (remaining !== undefined) attributes[ATTR.BUDGET_REMAINING] = remaining;
  targetSpan(invocation).setAttributes(attributes);
}

const budgetReaders = new WeakMap<GovernanceRuntime, BudgetStatusReader>();

async function budgetDecision(runtime: GovernanceRuntime | null, budgetId: unknown, options: BudgetCheckOptions): Promise<BudgetDecision> {
  if (typeof budgetId !== 'string' || budgetId === '') return { budgetId: String(budgetId), result: 'warning', reason: 'checkBudget() needs a budget id; allowed', cached: false };
  const config = runtime?.config.budget;
  if (!runtime || !config) return { budgetId, result: 'warning', reason: 'budget checks are off (set GOVERNANCE_BUDGET_TABLE); allowed', cached: false };
  let reader = budgetReaders.get(runtime);
  if (reader === undefined) budgetReaders.set(runtime, (reader = new BudgetStatusReader(config, runtime.config.region)));
  try {
    return await decide(reader, config, budgetId, options);
  } catch (error) {
    return { budgetId, result: 'warning', reason: `budget check failed (${(error as Error).message}); allowed`, cached: false };
  }
}

/**
 * Checks a budget before an expensive call and records the decision on the current span. Resolves with the
 * decision; rejects with BudgetExceededError only when the budget is exhausted and enforcement is on.
 */
async function checkBudget(budgetId: string, options: BudgetCheckOptions = {}): Promise<BudgetDecision> {
  const started = performance.now();
  const invocation = currentInvocation();
  const runtime = invocation?.runtime ?? existingRuntime();
  const decision = await budgetDecision(runtime, budgetId, options ?? {});
  if (invocation) {
    try {
      recordPolicy({ name: `budget:${decision.budgetId}`, result: decision.result, reason: decision.reason, responseTimeMs: Math.round((performance.now() - started) * 100) / 100 });
      if (decision.limitUsd !== undefined && decision.consumedUsd !== undefined) recordBudget({ id: decision.budgetId, limit: decision.limitUsd, consumed: decision.consumedUsd });
    } catch (error) {
      warnOnce('failed:checkBudget', `governance.checkBudget() could not record its decision: ${(error as Error).message}`);
    }
  }
  if (decision.result === 'blocked' && (options?.enforce ?? runtime?.config.budget?.enforce ?? false)) throw exceeded(decision);
  return decision;
}

function recordEvaluation(record: EvaluationRecord): void {
  const invocation = invocationOrWarn('recordEvaluation');
  if (!invocation || record === null || typeof record !== 'object') return;
  const attributes: Record<string, number | boolean> = { [ATTR.EVAL_PERFORMED]: true };
  for (const metric of EVAL_METRICS) {
    const score = invocation.runtime.sanitizer.unitScore(`eval ${metric}`, record[metric]);
    if (score !== undefined) attributes[`${GOVERNANCE_PREFIX}eval.${metric}`] = score;
  }
  targetSpan(invocation).setAttributes(attributes);
}

function set(fields: GovernanceContext): void {
  const invocation = invocationOrWarn('set');
  if (!invocation) return;
  updateFields(invocation, fields);
}

function get(): Readonly<GovernanceContext> {
  const invocation = currentInvocation();
  return Object.freeze({ ...(invocation?.fields ?? {}) });
}

/**
 * Runs `fn` in a child span of the current span; the span ends when `fn` settles, and an error is recorded
 * on it and rethrown unchanged.
 */
async function span<T>(name: string, fn: (span: Span) => Promise<T> | T, options?: { kind?: SpanKind; attributes?: Record<string, string | number | boolean> }): Promise<T> {
  const invocation = currentInvocation();
  const tracer = invocation?.runtime.tracer ?? existingRuntime()?.tracer ?? trace.getTracer('lambda-governance');
  return tracer.startActiveSpan(name, { kind: options?.kind ?? SpanKind.INTERNAL, attributes: options?.attributes ?? {} }, async (child) => {
    try {
      return await fn(child);
    } catch (error) {
      try {
        child.recordException(error instanceof Error ? error : String(error));
        child.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      } catch {
        // recording the error must not replace it
      }
      throw error;
    } finally {
      child.end();
    }
  });
}

function stats(): TelemetryStats {
  const runtime = currentInvocation()?.runtime ?? existingRuntime();
  return runtime ? { ...runtime.stats } : { exported: 0, carriedOver: 0, dropped: 0, flushes: 0, flushTimeouts: 0 };
}

export const governance = {
  /** The current invocation's governance context (a frozen copy). */
  get,
  /** Adds or overrides context fields for the rest of the invocation. */
  set: guarded('set', set),
  /** Records tokens and cost of one model call; returns the cost, computed from the price table if not given. */
  recordCost: guarded('recordCost', recordCost),
  recordPolicy: guarded('recordPolicy', recordPolicy),
  recordBudget: guarded('recordBudget', recordBudget),
  recordEvaluation: guarded('recordEvaluation', recordEvaluation),
  /** Reads a budget's spend before an expensive call; see BudgetDecision and BudgetExceededError. */
  checkBudget,
  span,
  /** Export counters of this process: exported, carried over, dropped. */
  stats,
  /** The tracer our spans come from, for code that wants the OTel API directly. */
  get tracer(): Tracer {
    return existingRuntime()?.tracer ?? trace.getTracer('lambda-governance');
  },
};
