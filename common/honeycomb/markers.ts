/**
 * Honeycomb markers (reference/honeycomb-api.md §5): POST /1/markers/{dataset} with a configuration key (ingest
 * keys cannot create markers), answered 201 with the marker; GET lists a dataset's markers. 429 and 5xx are
 * retried with backoff inside the deadline; 401/403/404 are configuration problems and are not retried.
 * Shared by the budget function (threshold markers) and the deploy marker (one per deploy).
 */
import { abortAfter } from '../async.js';
import { HttpTransport, retryAfterMs, waitForRetry, type HttpResponse } from '../http/index.js';
import { SecretFetchError, type KeySource } from './keys.js';

export interface Marker { id: string; message?: string; type?: string; url?: string; start_time?: number }

/** Honeycomb refused a marker for a reason retrying will not fix (key, permission, dataset). */
export class MarkerRejectedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MarkerRejectedError';
  }
}

const BACKOFF = { baseMs: 200, maxMs: 5_000 };

export class MarkerClient {
  private readonly transport: HttpTransport;

  public constructor(apiHost: URL, dataset: string, private readonly keys: KeySource, private readonly userAgent: string, private readonly timeoutMs: number) {
    this.transport = new HttpTransport(new URL(`/1/markers/${encodeURIComponent(dataset)}`, apiHost), 4 * 1_048_576);
  }

  public async create(marker: { message: string; type: string; url?: string }, deadline: number): Promise<Marker> {
    const body = Buffer.from(JSON.stringify(marker));
    const response = await this.withRetries((key, signal) => this.transport.post(body, this.headers(key, true), signal), deadline);
    return JSON.parse(response.body.toString('utf8')) as Marker;
  }

  public async list(deadline: number): Promise<Marker[]> {
    const response = await this.withRetries((key, signal) => this.transport.get(this.headers(key, false), signal), deadline);
    const parsed = JSON.parse(response.body.toString('utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as Marker[]) : [];
  }

  private headers(key: string, json: boolean): Record<string, string> {
    return { 'x-honeycomb-team': key, 'user-agent': this.userAgent, ...(json && { 'content-type': 'application/json' }) };
  }

  private async withRetries(call: (key: string, signal: AbortSignal) => Promise<HttpResponse>, deadline: number): Promise<HttpResponse> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const request = abortAfter(Math.min(this.timeoutMs, deadline - Date.now()));
      let response: HttpResponse | undefined;
      let failure: string;
      try {
        const { configKey } = await this.keys.get(request.signal);
        if (configKey === undefined) throw new MarkerRejectedError('the Honeycomb secret holds no configKey; markers need a configuration key with the Manage Markers permission');
        response = await call(configKey, request.signal);
        failure = `HTTP ${response.status}`;
      } catch (error) {
        if (error instanceof MarkerRejectedError) throw error;
        // An unreadable secret is not a network failure: the SDK has retried it already, and its error says why.
        if (error instanceof SecretFetchError && !request.signal.aborted) throw error;
        failure = request.signal.aborted ? 'request timed out' : `network: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
      } finally {
        request.cancel();
      }
      if (response !== undefined && response.status >= 200 && response.status < 300) return response;
      if (response?.status === 401 && this.keys.refreshable && !refreshed) {
        refreshed = true;
        this.keys.invalidate();
        continue;
      }
      if (response !== undefined && [401, 403, 404].includes(response.status)) {
        const why = response.status === 404 ? 'the dataset does not exist (markers need an existing dataset, or __all__)' : 'the configuration key is wrong or lacks the Manage Markers permission';
        throw new MarkerRejectedError(`Honeycomb answered ${response.status} to a marker request: ${why}`);
      }
      if (response !== undefined && response.status < 500 && response.status !== 429) throw new MarkerRejectedError(`Honeycomb refused the marker: HTTP ${response.status}`);
      const retryAfter = response === undefined ? undefined : retryAfterMs(response.headers['retry-after']);
      if (!(await waitForRetry(attempt, { signal: new AbortController().signal, deadline }, retryAfter, BACKOFF))) {
        throw new Error(`marker request failed: ${failure}, out of time after ${attempt + 1} attempts`);
      }
    }
  }
}
