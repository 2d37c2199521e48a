/**
 * Sends the planned invocations at their planned times (each function's environments run one at a time, so a
 * busy function queues) and records what each one did, read from its response as a caller would.
 */
import type { InvocationOutcome } from '../local/local-lambda.js';
import type { FunctionPool } from './function-pool.js';
import type { PlannedInvocation, SampleName } from './workload.js';

/** What an invocation did: a priced model call, a provider error, a refusal by policy or by the budget check. */
export type Result = 'ok' | 'error' | 'policy-block' | 'budget-block';

export interface Usage { model: string; inputTokens: number; outputTokens: number; costUsd: number }

export interface InvocationRecord {
  index: number;
  fn: SampleName;
  team: string;
  customer: string;
  requestId: string;
  result: Result;
  /** The model call's usage as the function reported it (ok only). */
  usage?: Usage;
  error?: string;
  durationMs: number;
}

interface ChatResponse { statusCode: number; body: string }

/** Reads an outcome the way each sample answers. */
export function classify(fn: SampleName, outcome: InvocationOutcome): Pick<InvocationRecord, 'result' | 'usage' | 'error'> {
  if (outcome.error) return { result: 'error', error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` };
  if (fn === 'chat') {
    const response = outcome.result as ChatResponse;
    const body = JSON.parse(response.body) as { usage?: Usage; error?: string };
    if (response.statusCode === 200) return { result: 'ok', usage: body.usage! };
    return { result: response.statusCode === 429 ? 'budget-block' : 'policy-block', error: body.error ?? `status ${response.statusCode}` };
  }
  const result = outcome.result as { status?: string; usage?: Usage; reason?: string };
  if (result.status === 'refused') return { result: 'policy-block', error: result.reason ?? 'refused' };
  return { result: 'ok', usage: result.usage! };
}

export class LoadDriver {
  public readonly records: InvocationRecord[] = [];
  public sent = 0;

  public constructor(private readonly plan: readonly PlannedInvocation[], private readonly pools: Record<SampleName, FunctionPool>) {}

  /** Resolves when every sent invocation has answered; stops sending when `signal` aborts. */
  public async run(signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (const planned of this.plan) {
      const wait = planned.atMs - (performance.now() - started);
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) break;
      this.sent++;
      const call = this.invoke(planned).finally(() => inFlight.delete(call));
      inFlight.add(call);
    }
    await Promise.all(inFlight);
  }

  private async invoke(planned: PlannedInvocation): Promise<void> {
    const base = { index: planned.index, fn: planned.fn, team: planned.team, customer: planned.customer };
    try {
      const outcome = await this.pools[planned.fn].invoke(planned.event);
      this.records.push({ ...base, requestId: outcome.requestId, durationMs: outcome.durationMs, ...classify(planned.fn, outcome) });
    } catch (error) {
      // The execution environment itself failed (or was stopped by Ctrl-C): no response, no request id.
      this.records.push({ ...base, requestId: '', durationMs: 0, result: 'error', error: (error as Error).message });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
