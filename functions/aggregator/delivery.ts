/**
 * Ships outgoing events to Honeycomb within the invocation's deadline. Events go in record order, in batches
 * under the body and count limits, a few batches at a time. Per-event 429/5xx and whole-request 429/5xx,
 * network errors and timeouts are retried with jittered backoff (Retry-After honoured) while time remains;
 * per-event and whole-request 4xx are permanent and come back as rejected (for the dead-letter queue);
 * 401/403/404 abort the delivery with HoneycombRejectedError.
 *
 * What is still undelivered at the deadline is reported as the earliest record it came from: Lambda resumes
 * the shard there, so everything from that record on is sent again. Batches that lie wholly past that point
 * are not started (they would be sent twice for nothing); batches already in flight are the bounded source
 * of duplicates documented in docs/aggregator.md.
 */
import { packBatches } from '../../common/batches.js';
import { HONEYCOMB_LIMITS } from '../../common/honeycomb/index.js';
import { waitForRetry, type BackoffPolicy } from '../../common/http/index.js';
import { HoneycombRejectedError } from './errors.js';
import { HoneycombBatchClient, type BatchOutcome } from '../../common/honeycomb/batch-client.js';
import type { Outgoing } from './outgoing.js';

/** libhoney and Refinery wait 1 s on a 429 without Retry-After; we start lower and grow, inside the deadline. */
export const HONEYCOMB_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5_000 };

export interface DeliveryOptions {
  deadline: number;
  requestTimeoutMs: number;
  concurrency: number;
  maxBatchEvents: number;
  maxBatchBytes?: number;
}

export interface RejectedEvent {
  outgoing: Outgoing;
  reason: string;
}

export interface DeliveryResult {
  /** The earliest record with an event still undelivered, or Infinity when everything was delivered or rejected. */
  firstFailedRecord: number;
  rejected: RejectedEvent[];
  accepted: number;
  requests: number;
  retries: number;
}

/**
 * Splits events, in order, into batches under the count and body-size limits. A body is "[" + events joined
 * by "," + "]": each event costs its bytes plus one separator, and the brackets take the one left over.
 */
export function splitBatches(events: readonly Outgoing[], maxEvents: number, maxBytes: number): Outgoing[][] {
  return packBatches(events, (event) => event.bytes + 1, maxEvents, maxBytes - 1);
}

export function batchBody(events: readonly Outgoing[]): string {
  let body = '[';
  for (let i = 0; i < events.length; i++) body += (i === 0 ? '' : ',') + events[i]!.json;
  return `${body}]`;
}

class DeliveryRun {
  public readonly result: DeliveryResult = { firstFailedRecord: Infinity, rejected: [], accepted: 0, requests: 0, retries: 0 };
  public fatal?: HoneycombRejectedError;
  private readonly aborted = new AbortController();

  public constructor(private readonly client: HoneycombBatchClient, private readonly options: DeliveryOptions) {}

  public async worker(queue: Outgoing[][]): Promise<void> {
    for (let batch = queue.shift(); batch !== undefined && this.fatal === undefined; batch = queue.shift()) {
      await this.sendBatch(batch);
    }
  }

  private giveUp(pending: readonly Outgoing[]): void {
    this.result.firstFailedRecord = Math.min(this.result.firstFailedRecord, pending[0]!.record);
  }

  /**
   * One request, aborted after `timeoutMs` or when the delivery is aborted. Not AbortSignal.any() with
   * AbortSignal.timeout(): Node may garbage-collect a timeout signal that only a composite signal refers to, and
   * then the composite never aborts (nodejs/node#57736, seen on 20.20) and a hung request hangs the invocation.
   * Here the timer holds the controller, so the abort always fires.
   */
  private async attempt(pending: readonly Outgoing[], timeoutMs: number): Promise<BatchOutcome> {
    const request = new AbortController();
    const timer = setTimeout(() => request.abort(), timeoutMs);
    const abort = (): void => request.abort();
    this.aborted.signal.addEventListener('abort', abort, { once: true });
    try {
      const body = await HoneycombBatchClient.compress(batchBody(pending));
      return await this.client.send(body, pending.length, request.signal);
    } finally {
      clearTimeout(timer);
      this.aborted.signal.removeEventListener('abort', abort);
    }
  }

  private async sendBatch(batch: Outgoing[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0 && this.fatal === undefined; attempt++) {
      // Events are in record order: pending[0] holds the earliest record of the batch.
      if (pending[0]!.record >= this.result.firstFailedRecord) return;
      const remaining = this.options.deadline - Date.now();
      if (remaining <= 0) return this.giveUp(pending);
      const outcome = await this.attempt(pending, Math.min(this.options.requestTimeoutMs, remaining));
      this.result.requests++;
      let retryAfter: number | undefined;
      switch (outcome.kind) {
        case 'statuses': {
          const again: Outgoing[] = [];
          outcome.statuses.forEach(({ status, error }, i) => {
            const event = pending[i]!;
            if (status === 202) this.result.accepted++;
            else if (status === 429 || status >= 500) again.push(event);
            else this.result.rejected.push({ outgoing: event, reason: `Honeycomb refused the event: ${status}${error ? ` ${error}` : ''}` });
          });
          pending = again;
          break;
        }
        case 'retry':
          retryAfter = outcome.retryAfterMs;
          break;
        case 'too-large':
          if (pending.length === 1) {
            this.result.rejected.push({ outgoing: pending[0]!, reason: `Honeycomb refused the event: ${outcome.reason}` });
            return;
          }
          await this.sendBatch(pending.slice(0, pending.length >> 1));
          await this.sendBatch(pending.slice(pending.length >> 1));
          return;
        case 'rejected':
          for (const event of pending) this.result.rejected.push({ outgoing: event, reason: `Honeycomb refused the batch: ${outcome.reason}` });
          return;
        case 'fatal':
          this.fatal = new HoneycombRejectedError(outcome.status, outcome.reason);
          this.aborted.abort();
          return;
      }
      if (pending.length === 0) return;
      this.result.retries++;
      const request = { signal: this.aborted.signal, deadline: this.options.deadline };
      if (!(await waitForRetry(attempt, request, retryAfter, HONEYCOMB_BACKOFF))) return this.giveUp(pending);
    }
  }
}

export async function deliver(client: HoneycombBatchClient, events: readonly Outgoing[], options: DeliveryOptions): Promise<DeliveryResult> {
  const queue = splitBatches(events, options.maxBatchEvents, options.maxBatchBytes ?? HONEYCOMB_LIMITS.maxBatchBytes);
  const run = new DeliveryRun(client, options);
  const workers = Array.from({ length: Math.min(options.concurrency, queue.length) }, () => run.worker(queue));
  await Promise.all(workers);
  if (run.fatal) throw run.fatal;
  return run.result;
}
