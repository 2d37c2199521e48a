/** Small async helpers the functions and the layer share. */

/**
 * Runs `fn` over `items` with at most `limit` in flight. After a failure no new item starts, and the first
 * error rejects the whole.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A signal that aborts after `ms`. A timer holds the controller, not AbortSignal.timeout(): Node may
 * garbage-collect a timeout signal nothing else refers to, and it then never fires (nodejs/node#57736, seen on
 * 20.20). Call `cancel` when done so the timer does not keep the process up.
 */
export function abortAfter(ms: number): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, ms));
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}
