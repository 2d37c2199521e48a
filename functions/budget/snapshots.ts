/**
 * One snapshot event per budget per run (genops.budget.*), the numbers the reference's triggers and SLOs
 * query: MAX(genops.budget.utilization_pct), genops.budget.consumed <= genops.budget.limit, and so on.
 */
import { abortAfter } from '../../common/async.js';
import { nanosToUsd, type BudgetDefinition, type PeriodWindow } from '../../common/budgets/index.js';
import { HoneycombBatchClient } from '../../common/honeycomb/batch-client.js';
import type { BatchEvent } from '../../common/honeycomb/types.js';
import { waitForRetry } from '../../common/http/index.js';

export const SNAPSHOT_EVENT_NAME = 'genops.budget.snapshot';
const BACKOFF = { baseMs: 200, maxMs: 5_000 };

export interface BudgetSnapshot {
  budget: BudgetDefinition;
  window: PeriodWindow;
  consumedNanos: bigint;
  events: number;
}

export function utilizationPct(consumedUsd: number, limitUsd: number): number {
  return Math.round((consumedUsd / limitUsd) * 10_000) / 100;
}

export function snapshotEvent(s: BudgetSnapshot, serviceName: string, nowMs: number): BatchEvent {
  const consumed = nanosToUsd(s.consumedNanos);
  const data: BatchEvent['data'] = {
    name: SNAPSHOT_EVENT_NAME, 'service.name': serviceName,
    'genops.budget.id': s.budget.id, 'genops.budget.limit': s.budget.limitUsd, 'genops.budget.consumed': Math.round(consumed * 1e6) / 1e6,
    'genops.budget.remaining': Math.round(Math.max(0, s.budget.limitUsd - consumed) * 1e6) / 1e6,
    'genops.budget.utilization_pct': utilizationPct(consumed, s.budget.limitUsd),
    'genops.budget.period': s.budget.period, 'genops.budget.period_key': s.window.key, 'genops.budget.time_zone': s.budget.timeZone,
    'genops.budget.period_start': new Date(s.window.startMs).toISOString(), 'genops.budget.period_end': new Date(s.window.endMs).toISOString(),
    'genops.budget.events': s.events,
  };
  // A single-valued match is the budget's owner: GROUP BY genops.team works on snapshots too.
  for (const [field, values] of Object.entries(s.budget.match)) {
    if (values.length === 1) data[field === 'service' ? 'genops.budget.service' : field === 'model' ? 'genops.cost.model' : field === 'provider' ? 'genops.cost.provider' : `genops.${field}`] = values[0]!;
  }
  return { data, time: new Date(nowMs).toISOString() };
}

/** Sends the snapshots, retrying what Honeycomb asks to retry until the deadline; returns the failures. */
export async function sendSnapshots(client: HoneycombBatchClient, events: BatchEvent[], deadline: number, requestTimeoutMs: number): Promise<string[]> {
  let pending = events;
  let lastReason = '';
  for (let attempt = 0; pending.length > 0; attempt++) {
    const request = abortAfter(Math.min(requestTimeoutMs, deadline - Date.now()));
    let retryAfter: number | undefined;
    try {
      const body = await HoneycombBatchClient.compress(JSON.stringify(pending));
      const outcome = await client.send(body, pending.length, request.signal);
      if (outcome.kind === 'statuses') {
        const again = pending.filter((_, i) => {
          const { status } = outcome.statuses[i]!;
          return status === 429 || status >= 500;
        });
        const refused = outcome.statuses.filter((s) => s.status >= 300 && s.status < 500 && s.status !== 429);
        if (refused.length > 0) return [`Honeycomb refused ${refused.length} snapshot event(s): ${refused[0]!.error ?? refused[0]!.status}`];
        pending = again;
        lastReason = 'per-event 429/5xx';
      } else if (outcome.kind === 'retry') {
        retryAfter = outcome.retryAfterMs;
        lastReason = outcome.reason;
      } else {
        return [`Honeycomb refused the snapshot events: ${outcome.reason}`];
      }
    } finally {
      request.cancel();
    }
    if (pending.length > 0 && !(await waitForRetry(attempt, { signal: new AbortController().signal, deadline }, retryAfter, BACKOFF))) {
      return [`${pending.length} snapshot event(s) not delivered before the deadline: ${lastReason}`];
    }
  }
  return [];
}
