/**
 * One POST /1/batch/{dataset} (reference/honeycomb-api.md §2.1, §3), classified into what the delivery
 * loop does next. A 401 first refetches a secret-held key once (it may have been rotated).
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { BatchEventStatus } from './types.js';
import type { KeySource } from './keys.js';
import { HttpTransport, retryAfterMs } from '../http/index.js';

const gzipAsync = promisify(gzip);

export type BatchOutcome =
  /** 200: one status per event, in request order. */
  | { kind: 'statuses'; statuses: BatchEventStatus[] }
  /** 429, 5xx, network error or timeout: send again later. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** 400 "Request body is too large." or 413: split and resend. */
  | { kind: 'too-large'; reason: string }
  /** Any other whole-request 4xx but 401/403/404: these events can never be accepted. */
  | { kind: 'rejected'; reason: string }
  /** 401, 403, 404: configuration, not data; the invocation fails loudly. */
  | { kind: 'fatal'; status: number; reason: string };

/** A status line Honeycomb documents in its error body, or a short fallback; never request content. */
function errorText(status: number, body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown };
    if (typeof parsed.error === 'string') return `HTTP ${status} ${parsed.error.slice(0, 200)}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

export class HoneycombBatchClient {
  private readonly transport: HttpTransport;
  public readonly url: URL;

  public constructor(apiHost: URL, dataset: string, private readonly keys: KeySource, private readonly userAgent: string) {
    this.url = new URL(`/1/batch/${encodeURIComponent(dataset)}`, apiHost);
    // 16 bytes per status; a 5 MB batch of small events answers with well under 8 MiB.
    this.transport = new HttpTransport(this.url, 8 * 1_048_576);
  }

  /** Compresses a serialized batch body. */
  public static compress(json: string): Promise<Buffer> {
    return gzipAsync(json, { level: 1 });
  }

  public async send(body: Buffer, eventCount: number, signal: AbortSignal): Promise<BatchOutcome> {
    for (let keyAttempt = 0; ; keyAttempt++) {
      let response;
      try {
        const { ingestKey } = await this.keys.get(signal);
        response = await this.transport.post(body, {
          'content-type': 'application/json', 'content-encoding': 'gzip', 'x-honeycomb-team': ingestKey, 'user-agent': this.userAgent,
        }, signal);
      } catch (error) {
        return { kind: 'retry', reason: signal.aborted ? 'request timed out' : `network: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}` };
      }
      const { status } = response;
      if (status === 200 || status === 202) return { kind: 'statuses', statuses: this.statuses(response.body, eventCount) };
      if (status === 401 && this.keys.refreshable && keyAttempt === 0) {
        this.keys.invalidate();
        continue;
      }
      const reason = errorText(status, response.body);
      if (status === 401 || status === 403 || status === 404) return { kind: 'fatal', status, reason };
      if (status === 413 || (status === 400 && /too large/i.test(reason))) return { kind: 'too-large', reason };
      if (status === 429 || status >= 500) {
        const after = retryAfterMs(response.headers['retry-after']);
        return after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: after };
      }
      return { kind: 'rejected', reason };
    }
  }

  /** Per-event statuses; a missing or malformed element counts as 500, as Refinery treats a short answer. */
  private statuses(body: Buffer, eventCount: number): BatchEventStatus[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const list = Array.isArray(parsed) ? parsed : [];
    const out: BatchEventStatus[] = new Array<BatchEventStatus>(eventCount);
    for (let i = 0; i < eventCount; i++) {
      const item = list[i] as { status?: unknown; error?: unknown } | undefined;
      out[i] = typeof item?.status === 'number'
        ? { status: item.status, ...(typeof item.error === 'string' && { error: item.error }) }
        : { status: 500, error: 'insufficient responses from server' };
    }
    return out;
  }
}
