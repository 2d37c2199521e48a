/**
 * Cost roll-ups: one event per minute and team/project/customer/model with the summed cost and tokens and
 * the number of calls. They are computed from every span before sampling, so SUM(genops.rollup.cost_usd)
 * is the true spend even when spans are sampled. Each contribution remembers its record: roll-ups are only
 * built from records that are otherwise done, so a replayed record is never counted twice by them.
 */
import type { Attributes, OtlpSpan } from '../../common/otlp/index.js';
import type { BatchEvent } from '../../common/honeycomb/index.js';

export const ROLLUP_EVENT_NAME = 'genops.cost.rollup';
const WINDOW_MS = 60_000;

export interface Contribution {
  record: number;
  windowStartMs: number;
  team: string;
  project: string;
  customer: string;
  model: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

interface Rollup {
  key: Omit<Contribution, 'record' | 'costUsd' | 'inputTokens' | 'outputTokens' | 'totalTokens'>;
  /** The earliest record that contributed: if this roll-up is not delivered, replay must start there. */
  record: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  calls: number;
}

function num(attributes: Attributes, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = attributes[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

function text(span: Attributes, resource: Attributes, name: string): string {
  const value = span[name] ?? resource[name];
  return typeof value === 'string' ? value : '';
}

/** The span's contribution, or undefined when it carries neither cost nor tokens. */
export function contributionOf(span: OtlpSpan, resource: Attributes, record: number): Contribution | undefined {
  const a = span.attributes;
  const costUsd = num(a, 'genops.cost.total');
  const inputTokens = num(a, 'genops.tokens.input', 'gen_ai.usage.input_tokens');
  const outputTokens = num(a, 'genops.tokens.output', 'gen_ai.usage.output_tokens');
  if (costUsd === undefined && inputTokens === undefined && outputTokens === undefined) return undefined;
  const model = a['genops.cost.model'] ?? a['gen_ai.request.model'] ?? a['gen_ai.response.model'];
  return {
    record,
    windowStartMs: Math.floor(span.startTimeUnixNano / 1e6 / WINDOW_MS) * WINDOW_MS,
    team: text(a, resource, 'genops.team'),
    project: text(a, resource, 'genops.project'),
    customer: text(a, resource, 'genops.customer_id'),
    model: typeof model === 'string' ? model : '',
    costUsd: costUsd ?? 0,
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    totalTokens: num(a, 'genops.tokens.total') ?? (inputTokens ?? 0) + (outputTokens ?? 0),
  };
}

/** Sums the contributions of records before `untilRecord` into roll-up events, each with its earliest record. */
export function buildRollups(contributions: readonly Contribution[], untilRecord: number): { event: BatchEvent; record: number }[] {
  const rollups = new Map<string, Rollup>();
  for (const c of contributions) {
    if (c.record >= untilRecord) continue;
    const id = `${c.windowStartMs}\u0000${c.team}\u0000${c.project}\u0000${c.customer}\u0000${c.model}`;
    let r = rollups.get(id);
    if (r === undefined) {
      r = {
        key: { windowStartMs: c.windowStartMs, team: c.team, project: c.project, customer: c.customer, model: c.model },
        record: c.record, costUsd: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0,
      };
      rollups.set(id, r);
    }
    r.record = Math.min(r.record, c.record);
    r.costUsd += c.costUsd;
    r.inputTokens += c.inputTokens;
    r.outputTokens += c.outputTokens;
    r.totalTokens += c.totalTokens;
    r.calls++;
  }
  return [...rollups.values()].map((r) => ({ event: rollupEvent(r), record: r.record }));
}

function rollupEvent(r: Rollup): BatchEvent {
  const data: BatchEvent['data'] = {
    name: ROLLUP_EVENT_NAME,
    'genops.rollup.window_seconds': WINDOW_MS / 1000,
    // Sums of float costs drift in the 15th digit; 10 decimals keep nano-dollars and stay readable.
    'genops.rollup.cost_usd': Math.round(r.costUsd * 1e10) / 1e10,
    'genops.rollup.tokens_input': r.inputTokens,
    'genops.rollup.tokens_output': r.outputTokens,
    'genops.rollup.tokens_total': r.totalTokens,
    'genops.rollup.calls': r.calls,
  };
  if (r.key.team !== '') data['genops.team'] = r.key.team;
  if (r.key.project !== '') data['genops.project'] = r.key.project;
  if (r.key.customer !== '') data['genops.customer_id'] = r.key.customer;
  if (r.key.model !== '') data['genops.cost.model'] = r.key.model;
  return { data, time: new Date(r.key.windowStartMs).toISOString() };
}
