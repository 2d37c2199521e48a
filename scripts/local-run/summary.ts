/**
 * The local run's summary, computed from what each part observably did: the invocations' responses, the
 * stream as read back, the aggregator's and the budget function's own reports, the dead-letter queue, the
 * alert topic and (with the stand-in) the events and markers Honeycomb received. Plain data, written as JSON
 * with --report and rendered by report.ts.
 */
import { usdToNanos, type BudgetDefinitionInput } from '../../common/budgets/index.js';
import { Sampler } from '../../functions/aggregator/sampling.js';
import type { BudgetRunSummary } from '../../functions/budget/handler.js';
import type { AggregationSummary } from '../../functions/aggregator/handler.js';
import type { StoredEvent, StoredMarker } from '../local/honeycomb/index.js';
import type { InvocationRecord, Result } from './driver.js';
import { KEEP_COST_USD, type HoneycombTarget, type LocalRunOptions } from './options.js';
import { field, num, type StreamAudit } from './stream-audit.js';
import type { SampleName } from './workload.js';

export interface CostRow { key: string; calls: number; inputTokens: number; outputTokens: number; costUsd: number }

export interface BudgetLine {
  id: string; match: string; period: string; periodKey: string;
  limitUsd: number; consumedUsd: number; utilizationPct: number; thresholdsCrossed: number[];
}

export interface AlertLine { budgetId: string; periodKey: string; threshold: number }

export interface LocalRunSummary {
  destination: { kind: HoneycombTarget['kind']; apiHost: string; dataset: string; description: string };
  options: LocalRunOptions;
  elapsedMs: number;
  invocations: { planned: number; sent: number; byResult: Record<Result, number>; byFunction: Record<SampleName, Record<Result, number>> };
  cost: { totalUsd: number; calls: number; inputTokens: number; outputTokens: number; byTeam: CostRow[]; byCustomer: CostRow[]; byModel: CostRow[] };
  budgets: BudgetLine[];
  /** Alerts the budget function sent: each is one Honeycomb marker and one SNS message. */
  alerts: AlertLine[];
  markers: { posted: number; messages: string[]; enabled: boolean };
  snsMessages: number;
  budgetRuns: { runs: number; failures: string[] };
  events: {
    streamRecords: number; malformedRecords: number; spansExported: number;
    /** Events Honeycomb accepted: spans, span events and links, and roll-ups. */
    delivered: number; rollups: number; sampledOut: number; deadLettered: number;
    deadLetterReasons: Record<string, number>;
    aggregatorInvocations: number; retries: number;
    /** With the stand-in: spans that arrived more than once, and the roll-ups' total cost. */
    duplicates?: number; rollupCostUsd?: number;
  };
  lost: { spans: number; missingRootSpans: number; droppedByLayer: number; heldAtShutdown: number; undelivered: number; discardedByMapping: number };
}

export interface RunObservations {
  options: LocalRunOptions;
  target: HoneycombTarget;
  standInUrl?: string;
  elapsedMs: number;
  planned: number;
  sent: number;
  invocations: readonly InvocationRecord[];
  stream: StreamAudit;
  aggregations: readonly AggregationSummary[];
  /** Spans in records the event source mapping discarded after its retries (sent to the on-failure destination). */
  discardedSpans: number;
  budgets: readonly BudgetDefinitionInput[];
  budgetRuns: readonly BudgetRunSummary[];
  budgetRunFailures: readonly string[];
  markersEnabled: boolean;
  /** The stand-in's markers and events (undefined with real Honeycomb). */
  standInMarkers?: readonly StoredMarker[];
  standInEvents?: readonly StoredEvent[];
  snsMessages: number;
  deadLetterCodes: readonly string[];
}

const count = (): Record<Result, number> => ({ ok: 0, error: 0, 'policy-block': 0, 'budget-block': 0 });

function rows(spans: StreamAudit['spans'], keyOf: (s: StreamAudit['spans'][number]) => string): CostRow[] {
  const out = new Map<string, CostRow>();
  for (const s of spans) {
    const key = keyOf(s) || '(none)';
    const row = out.get(key) ?? { key, calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    row.calls++;
    row.inputTokens += num(s, 'gen_ai.usage.input_tokens');
    row.outputTokens += num(s, 'gen_ai.usage.output_tokens');
    row.costUsd += num(s, 'genops.cost.total');
    out.set(key, row);
  }
  return [...out.values()].map((r) => ({ ...r, costUsd: round(r.costUsd) })).sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
}

const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;

function describe(target: HoneycombTarget, standInUrl: string | undefined): LocalRunSummary['destination'] {
  if (target.kind === 'stand-in') {
    return { kind: 'stand-in', apiHost: standInUrl ?? '', dataset: target.dataset, description: `the local Honeycomb stand-in at ${standInUrl}, dataset ${target.dataset}; nothing left this machine` };
  }
  const via = target.secretId !== undefined ? `keys from secret ${target.secretId}` : 'the key in HONEYCOMB_API_KEY';
  return { kind: 'honeycomb', apiHost: target.apiHost, dataset: target.dataset, description: `Honeycomb at ${target.apiHost}, dataset ${target.dataset} (${via})` };
}

export function summarize(o: RunObservations): LocalRunSummary {
  const byResult = count();
  const byFunction = { chat: count(), summarise: count(), embed: count() } as Record<SampleName, Record<Result, number>>;
  for (const r of o.invocations) {
    byResult[r.result]++;
    byFunction[r.fn][r.result]++;
  }

  const costed = o.stream.spans.filter((s) => typeof s.span.attributes['genops.cost.total'] === 'number' || typeof s.span.attributes['gen_ai.usage.input_tokens'] === 'number');
  const total = rows(costed, () => 'total')[0];

  const latest = o.budgetRuns.at(-1);
  const budgets: BudgetLine[] = o.budgets.map((b) => {
    const line = latest?.budgets.find((l) => l.id === b.id);
    const utilizationPct = line?.utilizationPct ?? 0;
    return {
      id: b.id, match: Object.entries(b.match ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ') || 'all spend', period: b.period,
      periodKey: line?.periodKey ?? '', limitUsd: b.limitUsd, consumedUsd: line?.consumedUsd ?? 0, utilizationPct,
      // In nano-dollars, as the budget function decides: a rounded percentage could claim a threshold it did not reach.
      thresholdsCrossed: (b.thresholds ?? [50, 80, 90, 100]).filter((t) => usdToNanos(line?.consumedUsd ?? 0) * 100 >= t * usdToNanos(b.limitUsd)),
    };
  });
  const alerts = o.budgetRuns.flatMap((run) => run.alerts.filter((a) => a.outcome === 'sent').map(({ budgetId, periodKey, threshold }) => ({ budgetId, periodKey, threshold })));
  const standInMarkers = o.standInMarkers?.filter((m) => m.marker.type === 'budget');

  const agg = o.aggregations.reduce((sum, a) => ({
    accepted: sum.accepted + a.accepted, rollups: sum.rollups + a.rollups, sampledOut: sum.sampledOut + a.sampledOut,
    deadLettered: sum.deadLettered + a.deadLettered, retries: sum.retries + (a.retryFrom === undefined ? 0 : 1),
  }), { accepted: 0, rollups: 0, sampledOut: 0, deadLettered: 0, retries: 0 });
  const deadLetterReasons: Record<string, number> = {};
  for (const code of o.deadLetterCodes) deadLetterReasons[code] = (deadLetterReasons[code] ?? 0) + 1;

  // Delivery: with the stand-in, span by span; with real Honeycomb, by the aggregator's own counts.
  let undelivered: number;
  let duplicates: number | undefined;
  let rollupCostUsd: number | undefined;
  if (o.standInEvents) {
    const arrivals = new Map<string, number>();
    let rollupCost = 0;
    for (const e of o.standInEvents) {
      if (e.data.name === 'genops.cost.rollup') rollupCost += Number(e.data['genops.rollup.cost_usd'] ?? 0);
      // Spans only: span events and links carry annotation types; roll-ups and budget snapshots have no span id.
      const id = e.data['trace.span_id'];
      if (e.data['meta.annotation_type'] !== undefined || typeof id !== 'string') continue;
      arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
    }
    // Sampling keeps or drops whole traces by a documented rule: a missing span of a trace the rule keeps is lost.
    const sampler = new Sampler(o.options.sampleRate, KEEP_COST_USD);
    const notable = new Set(o.stream.spans.filter((s) => sampler.isNotable(s.span)).map((s) => s.span.traceId));
    undelivered = o.stream.spans.filter((s) => !arrivals.has(s.span.spanId) && (notable.has(s.span.traceId) || !sampler.enabled || sampler.keepsTrace(s.span.traceId))).length;
    duplicates = [...arrivals.values()].filter((n) => n > 1).length;
    rollupCostUsd = round(rollupCost);
  } else {
    const processed = o.aggregations.filter((a) => a.retryFrom === undefined).reduce((sum, a) => sum + a.spans, 0);
    undelivered = Math.max(0, o.stream.spans.length - processed);
  }
  const answered = o.invocations.filter((r) => r.requestId !== '');
  const missingRootSpans = answered.filter((r) => !o.stream.invocationIds.has(r.requestId)).length;
  const lost = { missingRootSpans, droppedByLayer: o.stream.layerDropped, heldAtShutdown: o.stream.lastCarriedOver, undelivered, discardedByMapping: o.discardedSpans };

  return {
    destination: describe(o.target, o.standInUrl),
    options: o.options, elapsedMs: Math.round(o.elapsedMs),
    invocations: { planned: o.planned, sent: o.sent, byResult, byFunction },
    cost: {
      totalUsd: total?.costUsd ?? 0, calls: total?.calls ?? 0, inputTokens: total?.inputTokens ?? 0, outputTokens: total?.outputTokens ?? 0,
      byTeam: rows(costed, (s) => field(s, 'genops.team')), byCustomer: rows(costed, (s) => field(s, 'genops.customer_id')),
      byModel: rows(costed, (s) => field(s, 'genops.cost.model') || field(s, 'gen_ai.request.model')),
    },
    budgets, alerts,
    markers: {
      enabled: o.markersEnabled,
      posted: standInMarkers?.length ?? (o.markersEnabled ? alerts.length : 0),
      messages: standInMarkers?.map((m) => m.marker.message ?? '') ?? [],
    },
    snsMessages: o.snsMessages,
    budgetRuns: { runs: o.budgetRuns.length, failures: [...o.budgetRunFailures] },
    events: {
      streamRecords: o.stream.records, malformedRecords: o.stream.malformedRecords, spansExported: o.stream.spans.length,
      delivered: agg.accepted, rollups: agg.rollups, sampledOut: agg.sampledOut, deadLettered: agg.deadLettered, deadLetterReasons,
      aggregatorInvocations: o.aggregations.length, retries: agg.retries,
      ...(duplicates !== undefined && { duplicates }), ...(rollupCostUsd !== undefined && { rollupCostUsd }),
    },
    lost: { spans: missingRootSpans + lost.droppedByLayer + lost.heldAtShutdown + undelivered + lost.discardedByMapping, ...lost },
  };
}

