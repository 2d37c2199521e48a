/**
 * The span processor: stamps the invocation's governance context on each span as it starts, redacts
 * denylisted attribute keys as it ends, and holds ended spans in a bounded queue until the flush takes them.
 * No timers: in Lambda only an explicit flush before the response is reliable.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export const REDACTED = '[REDACTED]';

export class SpanBuffer implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  /** Spans that did not fit in the queue, not yet reported. */
  public overflow = 0;
  private readonly redact: RegExp | undefined;

  public constructor(
    private readonly maxQueued: number,
    redactPatterns: RegExp[],
    private readonly startAttributes: () => Record<string, string> | undefined,
  ) {
    this.redact = redactPatterns.length > 0 ? new RegExp(redactPatterns.map((p) => `(?:${p.source})`).join('|'), 'i') : undefined;
  }

  public onStart(span: Span, _parentContext: Context): void {
    const attributes = this.startAttributes();
    if (!attributes) return;
    // Attributes given at span creation (e.g. a per-call context override) win over the invocation's.
    const existing = span.attributes;
    for (const key in attributes) if (existing[key] === undefined) span.setAttribute(key, attributes[key]!);
  }

  public onEnd(span: ReadableSpan): void {
    if (this.redact) {
      const attributes = span.attributes as Record<string, unknown>;
      for (const key in attributes) if (this.redact.test(key)) attributes[key] = REDACTED;
    }
    if (this.queue.length >= this.maxQueued) {
      this.overflow++;
      return;
    }
    this.queue.push(span);
  }

  /** Takes every ended span. */
  public drain(): ReadableSpan[] {
    const spans = this.queue;
    this.queue = [];
    return spans;
  }

  public forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  public shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
