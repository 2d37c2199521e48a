/** Waits shaped by a deadline: exponential backoff with full jitter, Retry-After honoured, all abortable. */
export interface BackoffPolicy { baseMs: number; maxMs: number }

/** The layer's flush budget is a few seconds at most, so its retries start small. */
const FLUSH_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 1_000 };

function backoffDelay(attempt: number, policy: BackoffPolicy = FLUSH_BACKOFF): number {
  return Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparseable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Sleeps `ms` unless the signal aborts first; resolves false when aborted. Leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits before retry `attempt` if the wait (and a minimal attempt after it) fits before the deadline.
 * Returns false when there is no time left, so the caller hands the data to the carry-over buffer.
 */
export async function waitForRetry(
  attempt: number, request: { signal: AbortSignal; deadline: number }, retryAfter?: number, policy: BackoffPolicy = FLUSH_BACKOFF,
): Promise<boolean> {
  const delay = retryAfter ?? backoffDelay(attempt, policy);
  if (Date.now() + delay + 5 >= request.deadline) return false;
  return sleep(delay, request.signal);
}
