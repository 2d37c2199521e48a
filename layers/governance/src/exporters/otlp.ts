/**
 * OTLP/HTTP to Honeycomb or any collector. Retries 429/502/503/504 and network errors with jittered backoff
 * inside the flush deadline (Retry-After honoured), refetches a secret-held key once on 401, and drops only
 * what the endpoint refuses for good.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpConfig } from '../config.js';
import { warnOnce } from '../logger.js';
import { HttpTransport, retryAfterMs, waitForRetry } from '../../../../common/http/index.js';
import { SecretFetchError, SecretsManagerKeys, StaticKeys, type KeySource } from '../../../../common/honeycomb/keys.js';
import { DELIVERED, type ExportRequest, type ExportResult, type SpanExporter } from './types.js';

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export class OtlpHttpExporter implements SpanExporter {
  private readonly transport: HttpTransport;
  private readonly key?: KeySource;
  private readonly baseHeaders: Record<string, string>;

  public constructor(private readonly config: OtlpConfig, region: string | undefined) {
    this.transport = new HttpTransport(config.endpoint);
    if (config.apiKey) this.key = new StaticKeys({ ingestKey: config.apiKey });
    else if (config.apiKeySecret) {
      this.key = new SecretsManagerKeys(config.apiKeySecret, config.secretTtlMs, region);
      // Prefetch during init, where CPU is boosted and no request waits; a failure is retried at flush.
      this.key.get(new AbortController().signal).catch((error: Error) => warnOnce('secret-prefetch', `prefetching the Honeycomb key failed (${error.message}); will retry at flush`));
    }
    this.baseHeaders = {
      ...config.headers,
      'content-type': config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
      ...(config.compression === 'gzip' && { 'content-encoding': 'gzip' }),
      ...(config.dataset && { 'x-honeycomb-dataset': config.dataset }),
    };
  }

  public async export(spans: ReadableSpan[], request: ExportRequest): Promise<ExportResult> {
    const body = this.encode(spans);
    let refetchedKey = false;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let retryAfter: number | undefined;
      try {
        const headers = this.key ? { ...this.baseHeaders, 'x-honeycomb-team': (await this.key.get(request.signal)).ingestKey } : this.baseHeaders;
        const response = await this.transport.post(body, headers, request.signal);
        status = response.status;
        retryAfter = retryAfterMs(response.headers['retry-after']);
      } catch (error) {
        if (request.signal.aborted) return { retry: spans, rejected: 0 };
        if (error instanceof SecretFetchError) warnOnce('secret-fetch', `${error.message}; spans kept for the next flush`);
        else warnOnce(`otlp-network:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`, `OTLP export to ${this.config.endpoint.host} failed: ${(error as Error).message}`);
        if (await waitForRetry(attempt, request)) continue;
        return { retry: spans, rejected: 0 };
      }
      if (status >= 200 && status < 300) return DELIVERED;
      if (status === 401 && this.key?.refreshable && !refetchedKey) {
        refetchedKey = true;
        this.key.invalidate();
        continue;
      }
      if (RETRYABLE_STATUS.has(status)) {
        if (await waitForRetry(attempt, request, retryAfter)) continue;
        return { retry: spans, rejected: 0 };
      }
      warnOnce(`otlp-status:${status}`, `OTLP endpoint ${this.config.endpoint.host} refused spans with HTTP ${status}; they are dropped`);
      return { retry: [], rejected: spans.length };
    }
  }

  private encode(spans: ReadableSpan[]): Uint8Array {
    const serializer = this.config.protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
    const raw = serializer.serializeRequest(spans) ?? new Uint8Array(0);
    return this.config.compression === 'gzip' ? process.getBuiltinModule('node:zlib').gzipSync(raw) : raw;
  }
}
