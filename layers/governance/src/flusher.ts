/**
 * Flush before freeze. Exports every ended span (and the carry-over of earlier failed flushes) inside a
 * budget; what does not make it goes back to a bounded carry-over buffer for the next flush. Never throws,
 * and leaves no timer, listener or socket wait behind when it returns.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { warnOnce } from './logger.js';
import type { SpanBuffer } from './span-buffer.js';
import type { SpanExporter } from './exporters/types.js';
import type { TelemetryStats } from './types.js';

export class Flusher {
  private carryOver: ReadableSpan[] = [];
  private unreportedDrops = 0;
  public readonly stats: TelemetryStats = { exported: 0, carriedOver: 0, dropped: 0, flushes: 0, flushTimeouts: 0 };

  public constructor(
    private readonly exporter: SpanExporter,
    private readonly buffer: SpanBuffer,
    private readonly maxCarryOver: number,
  ) {}

  /** Drops counted since the last call, for the next root span's genops.telemetry.spans_dropped. */
  public takeUnreportedDrops(): number {
    this.collectOverflow();
    const drops = this.unreportedDrops;
    this.unreportedDrops = 0;
    return drops;
  }

  public async flush(budgetMs: number): Promise<void> {
    this.collectOverflow();
    const spans = this.carryOver.length > 0 ? this.carryOver.concat(this.buffer.drain()) : this.buffer.drain();
    this.carryOver = [];
    if (spans.length === 0) return;
    this.stats.flushes++;
    if (budgetMs <= 0) {
      this.keep(spans);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), budgetMs);
    let onAbort: (() => void) | undefined;
    try {
      const exporting = this.exporter.export(spans, { signal: controller.signal, deadline: Date.now() + budgetMs });
      // The exporters honour the signal; the race is a backstop against one that does not.
      const timedOut = new Promise<undefined>((resolve) => {
        onAbort = () => resolve(undefined);
        controller.signal.addEventListener('abort', onAbort, { once: true });
      });
      const result = await Promise.race([exporting, timedOut]);
      if (result === undefined) {
        exporting.catch(() => undefined);
        this.stats.flushTimeouts++;
        this.keep(spans);
        return;
      }
      if (controller.signal.aborted) this.stats.flushTimeouts++;
      this.stats.exported += spans.length - result.retry.length - result.rejected;
      this.drop(result.rejected);
      if (result.retry.length > 0) this.keep(result.retry);
    } catch (error) {
      warnOnce('flush-error', `span export failed unexpectedly: ${(error as Error).message}`);
      this.keep(spans);
    } finally {
      clearTimeout(timer);
      if (onAbort) controller.signal.removeEventListener('abort', onAbort);
      this.stats.carriedOver = this.carryOver.length;
    }
  }

  private keep(spans: ReadableSpan[]): void {
    this.carryOver = this.carryOver.concat(spans);
    const excess = this.carryOver.length - this.maxCarryOver;
    if (excess > 0) {
      // The oldest spans go first: the newest describe the state users look at now.
      this.carryOver = this.carryOver.slice(excess);
      this.drop(excess);
    }
    this.stats.carriedOver = this.carryOver.length;
  }

  private drop(count: number): void {
    if (count <= 0) return;
    this.stats.dropped += count;
    this.unreportedDrops += count;
    warnOnce('spans-dropped', `${count} span(s) dropped (buffers full or refused by the sink); see genops.telemetry.spans_dropped`);
  }

  private collectOverflow(): void {
    const overflow = this.buffer.overflow;
    if (overflow > 0) {
      this.buffer.overflow = 0;
      this.drop(overflow);
    }
  }
}
