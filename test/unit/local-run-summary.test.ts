import { describe, expect, it } from 'vitest';
import type { BudgetDefinitionInput } from '../../common/budgets/index.js';
import type { EventData } from '../../common/honeycomb/types.js';
import type { Attributes, OtlpSpan } from '../../common/otlp/index.js';
import type { AggregationSummary } from '../../functions/aggregator/handler.js';
import type { BudgetRunSummary } from '../../functions/budget/handler.js';
import type { StoredEvent, StoredMarker } from '../../scripts/local/honeycomb/index.js';
import type { InvocationOutcome } from '../../scripts/local/local-lambda.js';
import { classify, type InvocationRecord } from '../../scripts/local-run/driver.js';
import { DEFAULT_OPTIONS } from '../../scripts/local-run/options.js';
import type { StreamAudit, StreamSpan } from '../../scripts/local-run/stream-audit.js';
import { summarize, type RunObservations } from '../../scripts/local-run/summary.js';

describe('classify', () => {
  const outcome = (result: unknown): InvocationOutcome => ({ requestId: 'req', result, durationMs: 5 });
  const chat = (statusCode: number, body: unknown): InvocationOutcome => outcome({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const usage = { model: 'claude-sonnet-4', inputTokens: 300, outputTokens: 80, costUsd: 0.0021 };

  it('reads a chat 200 as ok with the usage it reports', () => {
    expect(classify('chat', chat(200, { answer: 'hi', usage }))).toEqual({ result: 'ok', usage });
  });

  it('reads a chat 422 as a policy block and a 429 as a budget block, keeping the error', () => {
    expect(classify('chat', chat(422, { error: 'prompt refused by policy pii-filter' }))).toEqual({ result: 'policy-block', error: 'prompt refused by policy pii-filter' });
    expect(classify('chat', chat(429, { error: 'budget support-daily is exhausted' }))).toEqual({ result: 'budget-block', error: 'budget support-daily is exhausted' });
  });

  it('reads a function error as an error, whatever the sample', () => {
    const failed: InvocationOutcome = { requestId: 'req', error: { errorType: 'ProviderError', errorMessage: 'anthropic claude-sonnet-4: 529 overloaded' }, durationMs: 5 };
    for (const fn of ['chat', 'summarise', 'embed'] as const) {
      expect(classify(fn, failed)).toEqual({ result: 'error', error: 'ProviderError: anthropic claude-sonnet-4: 529 overloaded' });
    }
  });

  it('reads summarise answers: refused is a policy block, summarised is ok', () => {
    expect(classify('summarise', outcome({ status: 'refused', documentId: 'd', reason: 'document too long for one call' })))
      .toEqual({ result: 'policy-block', error: 'document too long for one call' });
    const summaryUsage = { model: 'claude-haiku-4', inputTokens: 900, outputTokens: 143, costUsd: 0.001615 };
    expect(classify('summarise', outcome({ status: 'summarised', documentId: 'd', summary: 's', usage: summaryUsage }))).toEqual({ result: 'ok', usage: summaryUsage });
  });

  it('reads an embed answer as ok with its usage', () => {
    const embedUsage = { model: 'text-embedding-3-small', inputTokens: 1000, outputTokens: 0, costUsd: 0.00002 };
    expect(classify('embed', outcome({ vectors: 4, usage: embedUsage }))).toEqual({ result: 'ok', usage: embedUsage });
  });
});

// A small run: three invocations (chat, summarise, embed), each with a root span and a costed model span.
function streamSpan(spanId: string, parentSpanId: string, attributes: Attributes, resource: Attributes = {}): StreamSpan {
  const span: OtlpSpan = {
    traceId: `trace-${parentSpanId || spanId}`, spanId, parentSpanId, traceState: '', name: spanId, kind: parentSpanId === '' ? 2 : 3,
    startTimeUnixNano: 1e18, endTimeUnixNano: 1e18 + 1e6, attributes, events: [], links: [], status: { code: 0, message: '' },
  };
  return { span, resource, shardId: 'shardId-000000000000', sequenceNumber: spanId };
}

const SPANS: StreamSpan[] = [
  streamSpan('root-1', '', { 'faas.invocation_id': 'req-1' }, { 'genops.team': 'support' }),
  streamSpan('chat-1', 'root-1', {
    'genops.team': 'support', 'genops.customer_id': 'acme', 'genops.cost.model': 'claude-sonnet-4', 'genops.cost.total': 0.0021,
    'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 80,
  }),
  streamSpan('root-2', '', { 'faas.invocation_id': 'req-2' }),
  // The team comes from the resource, as the layer's defaults do.
  streamSpan('summarise-2', 'root-2', {
    'genops.customer_id': 'acme', 'genops.cost.model': 'claude-haiku-4', 'genops.cost.total': 0.0015,
    'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100,
  }, { 'genops.team': 'legal' }),
  streamSpan('root-3', '', { 'faas.invocation_id': 'req-3' }),
  streamSpan('embed-3', 'root-3', {
    'genops.team': 'search', 'genops.customer_id': 'globex', 'genops.cost.model': 'text-embedding-3-small', 'genops.cost.total': 0.00002,
    'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 0,
  }),
];

function stream(spans: StreamSpan[] = SPANS, extra: Partial<StreamAudit> = {}): StreamAudit {
  const invocationIds = new Set<string>();
  for (const s of spans) {
    const id = s.span.attributes['faas.invocation_id'];
    if (s.span.parentSpanId === '' && typeof id === 'string') invocationIds.add(id);
  }
  return { records: 3, malformedRecords: 0, spans, invocationIds, layerDropped: 0, lastCarriedOver: 0, ...extra };
}

function invocation(index: number, fn: InvocationRecord['fn'], requestId: string, result: InvocationRecord['result']): InvocationRecord {
  const team = { chat: 'support', summarise: 'legal', embed: 'search' }[fn];
  return { index, fn, team, customer: 'acme', requestId, result, durationMs: 12 };
}

const INVOCATIONS: InvocationRecord[] = [
  invocation(0, 'chat', 'req-1', 'ok'),
  invocation(1, 'summarise', 'req-2', 'ok'),
  invocation(2, 'embed', 'req-3', 'ok'),
];

const AGGREGATION: AggregationSummary = {
  records: 3, spans: 6, events: 8, sampledOut: 0, rollups: 2, accepted: 8, deadLettered: 0, requests: 1, retries: 0,
  ledgerCharged: 3, ledgerAlreadyCharged: 0, ledgerCalls: 1,
};

const BUDGETS: BudgetDefinitionInput[] = [
  { id: 'support-daily', limitUsd: 0.0022, period: 'daily', match: { team: 'support' }, thresholds: [50, 80, 90, 100] },
  { id: 'acme-monthly', limitUsd: 0.01, period: 'monthly', match: { customer_id: 'acme' } },
];

const RUNS: BudgetRunSummary[] = [
  {
    runId: 'run-1', snapshotsSent: 2, failures: [],
    budgets: [
      { id: 'support-daily', periodKey: '2025-06-01', consumedUsd: 0.0012, limitUsd: 0.0022, utilizationPct: 54.5, events: 1 },
      { id: 'acme-monthly', periodKey: '2025-06', consumedUsd: 0.0012, limitUsd: 0.01, utilizationPct: 12, events: 1 },
    ],
    alerts: [{ budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 50, outcome: 'sent' }],
  },
  {
    runId: 'run-2', snapshotsSent: 2, failures: [],
    budgets: [
      { id: 'support-daily', periodKey: '2025-06-01', consumedUsd: 0.0021, limitUsd: 0.0022, utilizationPct: 95.45, events: 1 },
      { id: 'acme-monthly', periodKey: '2025-06', consumedUsd: 0.0036, limitUsd: 0.01, utilizationPct: 36, events: 2 },
    ],
    alerts: [
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 50, outcome: 'already-sent' },
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 80, outcome: 'sent' },
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 90, outcome: 'sent' },
    ],
  },
];

function stored(data: EventData): StoredEvent {
  const at = new Date('2025-06-01T12:00:00Z');
  return { dataset: 'genops-ai', environment: 'local', time: at, samplerate: 1, data, receivedAt: at, keyId: 'ingest' };
}

/** What Honeycomb received: each span once, a span event, two roll-ups and a budget snapshot. */
function arrivals(spans: readonly StreamSpan[] = SPANS): StoredEvent[] {
  return [
    ...spans.map((s) => stored({ name: s.span.name, 'trace.trace_id': s.span.traceId, 'trace.span_id': s.span.spanId })),
    stored({ name: 'retry', 'trace.trace_id': 'trace-root-1', 'trace.parent_id': 'chat-1', 'meta.annotation_type': 'span_event' }),
    stored({ name: 'genops.cost.rollup', 'genops.rollup.cost_usd': 0.0021, 'genops.team': 'support' }),
    stored({ name: 'genops.cost.rollup', 'genops.rollup.cost_usd': 0.00152, 'genops.customer_id': 'acme' }),
    stored({ name: 'genops.budget.snapshot', 'genops.budget.id': 'support-daily', 'genops.budget.utilization_pct': 95.45 }),
  ];
}

const marker = (id: string, type: string, message: string): StoredMarker => ({
  dataset: 'genops-ai', scope: 'local', marker: { id, created_at: '2025-06-01T12:00:00Z', updated_at: '2025-06-01T12:00:00Z', start_time: 1_748_779_200, type, message },
});

function observations(overrides: Partial<RunObservations> = {}): RunObservations {
  return {
    options: DEFAULT_OPTIONS, target: { kind: 'stand-in', dataset: 'genops-ai' }, standInUrl: 'http://127.0.0.1:4000',
    elapsedMs: 20_123.6, planned: 4, sent: 3, invocations: INVOCATIONS, stream: stream(), aggregations: [AGGREGATION], discardedSpans: 0,
    budgets: BUDGETS, budgetRuns: RUNS, budgetRunFailures: [], markersEnabled: true,
    standInMarkers: [
      marker('m1', 'budget', 'support-daily crossed 50 %'),
      marker('m2', 'deploy', 'deployed v2'),
      marker('m3', 'budget', 'support-daily crossed 80 %'),
    ],
    standInEvents: arrivals(), snsMessages: 3, deadLetterCodes: [],
    ...overrides,
  };
}

describe('summarize', () => {
  it('totals the cost, calls and tokens of the costed spans only', () => {
    const { cost } = summarize(observations());
    expect(cost.totalUsd).toBe(0.00362);
    expect(cost.calls).toBe(3);
    expect(cost.inputTokens).toBe(2_300);
    expect(cost.outputTokens).toBe(180);
  });

  it('breaks the cost down by team (span, else resource), customer and model, costliest first', () => {
    const { cost } = summarize(observations());
    expect(cost.byTeam).toEqual([
      { key: 'support', calls: 1, inputTokens: 300, outputTokens: 80, costUsd: 0.0021 },
      { key: 'legal', calls: 1, inputTokens: 1000, outputTokens: 100, costUsd: 0.0015 },
      { key: 'search', calls: 1, inputTokens: 1000, outputTokens: 0, costUsd: 0.00002 },
    ]);
    expect(cost.byCustomer).toEqual([
      { key: 'acme', calls: 2, inputTokens: 1300, outputTokens: 180, costUsd: 0.0036 },
      { key: 'globex', calls: 1, inputTokens: 1000, outputTokens: 0, costUsd: 0.00002 },
    ]);
    expect(cost.byModel.map((r) => [r.key, r.calls, r.costUsd])).toEqual([
      ['claude-sonnet-4', 1, 0.0021], ['claude-haiku-4', 1, 0.0015], ['text-embedding-3-small', 1, 0.00002],
    ]);
  });

  it('counts invocations by result and by function', () => {
    const invocations = [...INVOCATIONS, invocation(3, 'chat', 'req-4', 'policy-block')];
    const spans = [...SPANS, streamSpan('root-4', '', { 'faas.invocation_id': 'req-4' })];
    const summary = summarize(observations({ invocations, stream: stream(spans), standInEvents: arrivals(spans) }));
    expect(summary.invocations).toMatchObject({ planned: 4, sent: 3 });
    expect(summary.invocations.byResult).toEqual({ ok: 3, error: 0, 'policy-block': 1, 'budget-block': 0 });
    expect(summary.invocations.byFunction.chat).toEqual({ ok: 1, error: 0, 'policy-block': 1, 'budget-block': 0 });
    expect(summary.invocations.byFunction.embed.ok).toBe(1);
  });

  it('reports each budget from the latest budget run, with the thresholds it has crossed', () => {
    const { budgets } = summarize(observations());
    expect(budgets).toEqual([
      { id: 'support-daily', match: 'team=support', period: 'daily', periodKey: '2025-06-01', limitUsd: 0.0022, consumedUsd: 0.0021, utilizationPct: 95.45, thresholdsCrossed: [50, 80, 90] },
      { id: 'acme-monthly', match: 'customer_id=acme', period: 'monthly', periodKey: '2025-06', limitUsd: 0.01, consumedUsd: 0.0036, utilizationPct: 36, thresholdsCrossed: [] },
    ]);
  });

  it('lists only the alerts a run actually sent, and counts the runs', () => {
    const summary = summarize(observations());
    expect(summary.alerts).toEqual([
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 50 },
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 80 },
      { budgetId: 'support-daily', periodKey: '2025-06-01', threshold: 90 },
    ]);
    expect(summary.budgetRuns).toEqual({ runs: 2, failures: [] });
  });

  it('counts the budget markers the stand-in received, not other markers', () => {
    expect(summarize(observations()).markers).toEqual({
      enabled: true, posted: 2, messages: ['support-daily crossed 50 %', 'support-daily crossed 80 %'],
    });
  });

  it('finds no duplicates and no loss when every span arrives once, and sums the roll-ups', () => {
    const summary = summarize(observations());
    expect(summary.events.duplicates).toBe(0);
    expect(summary.events.rollupCostUsd).toBe(0.00362);
    expect(summary.lost).toEqual({ spans: 0, missingRootSpans: 0, droppedByLayer: 0, heldAtShutdown: 0, undelivered: 0, discardedByMapping: 0 });
  });

  it('counts a span that arrived twice as one duplicate, without counting it lost', () => {
    const twice = [...arrivals(), stored({ name: 'chat-1', 'trace.trace_id': 'trace-root-1', 'trace.span_id': 'chat-1' })];
    const summary = summarize(observations({ standInEvents: twice }));
    expect(summary.events.duplicates).toBe(1);
    expect(summary.lost.spans).toBe(0);
  });

  it('counts an answered invocation whose root span never reached the stream', () => {
    const invocations = [...INVOCATIONS, invocation(3, 'chat', 'req-lost', 'ok')];
    const summary = summarize(observations({ invocations }));
    expect(summary.lost.missingRootSpans).toBe(1);
    expect(summary.lost.spans).toBe(1);
  });

  it('does not expect a root span from an invocation that never answered', () => {
    const invocations = [...INVOCATIONS, invocation(3, 'summarise', '', 'error')];
    expect(summarize(observations({ invocations })).lost.missingRootSpans).toBe(0);
  });

  it('counts a missing span as lost when sampling keeps its trace, and as sampled out when the rule drops it', () => {
    const missingOne = arrivals().filter((e) => e.data['trace.span_id'] !== 'embed-3');
    // Without sampling every span must arrive.
    expect(summarize(observations({ standInEvents: missingOne, options: { ...DEFAULT_OPTIONS, sampleRate: 1 } })).lost).toMatchObject({ undelivered: 1, spans: 1 });
    // At 1 in 4 the rule keeps a trace whose id ends low (00000000) and drops one whose id ends high (ffffffff).
    const withTrace = (traceId: string): StreamSpan[] => SPANS.map((s) => (s.span.traceId === 'trace-root-3' ? { ...s, span: { ...s.span, traceId } } : s));
    const kept = summarize(observations({ stream: stream(withTrace('0af7651916cd43dd8448eb2100000000')), standInEvents: missingOne }));
    expect(kept.lost).toMatchObject({ undelivered: 1, spans: 1 });
    const dropped = withTrace('0af7651916cd43dd8448eb21ffffffff');
    const sampled = summarize(observations({ stream: stream(dropped), standInEvents: arrivals(dropped).filter((e) => e.data['trace.trace_id'] !== '0af7651916cd43dd8448eb21ffffffff') }));
    expect(sampled.lost).toMatchObject({ undelivered: 0, spans: 0 });
    // An error in the trace makes it notable: kept whole whatever its id, so a missing span is lost.
    const failing = dropped.map((s) => (s.span.spanId === 'embed-3' ? { ...s, span: { ...s.span, status: { code: 2, message: 'boom' } } } : s));
    expect(summarize(observations({ stream: stream(failing), standInEvents: missingOne })).lost).toMatchObject({ undelivered: 1 });
  });

  it('adds what the layer dropped, still held at shutdown and discarded by the mapping to the lost spans', () => {
    const summary = summarize(observations({ stream: stream(SPANS, { layerDropped: 2, lastCarriedOver: 1 }), discardedSpans: 4 }));
    expect(summary.lost).toEqual({ spans: 7, missingRootSpans: 0, droppedByLayer: 2, heldAtShutdown: 1, undelivered: 0, discardedByMapping: 4 });
  });

  it('sums the aggregator reports and counts dead-letter reasons', () => {
    const retried: AggregationSummary = { ...AGGREGATION, accepted: 0, rollups: 0, retryFrom: '49590338271490256608559692538361571095921575989136588898' };
    const summary = summarize(observations({ aggregations: [retried, AGGREGATION], deadLetterCodes: ['malformed_record', 'malformed_record', 'oversize_event'] }));
    expect(summary.events).toMatchObject({
      streamRecords: 3, spansExported: 6, delivered: 8, rollups: 2, aggregatorInvocations: 2, retries: 1,
      deadLetterReasons: { malformed_record: 2, oversize_event: 1 },
    });
  });

  it('describes the stand-in destination and rounds the elapsed time', () => {
    const summary = summarize(observations());
    expect(summary.destination).toMatchObject({ kind: 'stand-in', apiHost: 'http://127.0.0.1:4000', dataset: 'genops-ai' });
    expect(summary.destination.description).toContain('nothing left this machine');
    expect(summary.elapsedMs).toBe(20_124);
  });

  it('with real Honeycomb, checks delivery against the aggregator counts and counts markers from the alerts sent', () => {
    const summary = summarize(observations({
      target: { kind: 'honeycomb', apiHost: 'https://api.honeycomb.io', dataset: 'genops-ai', apiKey: 'ingest', configKey: 'config' },
      standInUrl: undefined, standInEvents: undefined, standInMarkers: undefined,
      aggregations: [{ ...AGGREGATION, spans: 5 }],
    }));
    expect(summary.destination).toMatchObject({ kind: 'honeycomb', apiHost: 'https://api.honeycomb.io' });
    expect(summary.events).not.toHaveProperty('duplicates');
    expect(summary.events).not.toHaveProperty('rollupCostUsd');
    expect(summary.lost.undelivered).toBe(1);
    expect(summary.markers).toEqual({ enabled: true, posted: 3, messages: [] });
  });
});
