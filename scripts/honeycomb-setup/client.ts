/**
 * Honeycomb's configuration APIs (reference/honeycomb-api.md §7) for the setup script: list, create and update
 * per kind with a configuration key. 429 and 5xx are retried, honouring Retry-After, inside one deadline; 401
 * and 403 become one SetupError naming the permission (or plan feature) the request needed. Error messages
 * never hold the key.
 */
import { abortAfter } from '../../common/async.js';
import { HttpTransport, retryAfterMs, waitForRetry, type HttpResponse } from '../../common/http/index.js';

/** What a kind of configuration needs from the key (the names the Honeycomb UI shows). */
export const PERMISSIONS = {
  datasets: 'Create Datasets',
  derivedColumns: 'Manage Queries and Columns',
  queries: 'Manage Queries and Columns',
  triggers: 'Manage Triggers',
  slos: 'Manage SLOs',
  boards: 'Manage Public Boards',
} as const;

export type Kind = keyof typeof PERMISSIONS;

/** /1/auth api_key_access field per kind (the spec's spelling; TF's create_datasets also read). Saved queries and
 * their annotations need Manage Queries and Columns (`columns`); `queries` is Run Queries, which setup never does. */
const ACCESS_FIELD: Record<Kind, string> = {
  datasets: 'createDatasets', derivedColumns: 'columns', queries: 'columns', triggers: 'triggers', slos: 'slos', boards: 'boards',
};

/** Plan-gated kinds (§7.2 "Plan gates"). */
const PLAN_FEATURE: Partial<Record<Kind, string>> = { slos: 'SLOs (Pro or Enterprise plan)' };

/** Setup cannot go on for a reason retrying will not fix. `reason` tells permission, plan and other apart. */
export class SetupError extends Error {
  public constructor(message: string, public readonly reason: 'permission' | 'plan' | 'other', public readonly kind?: Kind) {
    super(message);
    this.name = 'SetupError';
  }
}

export interface KeyDescription { type: string; access: Record<string, boolean>; environment: string }

export interface ClientOptions {
  apiHost: URL;
  configKey: string;
  /** Epoch ms by which every request, retries included, must be done. */
  deadline: number;
  timeoutMs?: number;
  userAgent?: string;
}

const BACKOFF = { baseMs: 200, maxMs: 5_000 };
type Method = 'GET' | 'POST' | 'PUT';
export type Json = Record<string, unknown>;

export class ConfigClient {
  /** Requests that changed something (POST/PUT), for the summary. */
  public writes = 0;
  private readonly transports = new Map<string, HttpTransport>();

  public constructor(private readonly options: ClientOptions) {}

  /** GET /1/auth: the key's type and permissions. */
  public async describeKey(): Promise<KeyDescription> {
    const body = await this.request<Json>('GET', '/1/auth', undefined, undefined);
    const access = (body['api_key_access'] ?? {}) as Record<string, boolean>;
    if (access['create_datasets'] !== undefined && access['createDatasets'] === undefined) access['createDatasets'] = access['create_datasets'];
    const environment = (body['environment'] as { name?: string } | undefined)?.name ?? '';
    return { type: String(body['type'] ?? ''), access, environment };
  }

  /** The permissions `kinds` need that the key lacks, by their UI names. */
  public static missingPermissions(key: KeyDescription, kinds: Kind[]): string[] {
    return [...new Set(kinds.filter((k) => key.access[ACCESS_FIELD[k]] !== true).map((k) => PERMISSIONS[k]))];
  }

  public async createDataset(dataset: string): Promise<void> {
    await this.request('POST', '/1/datasets', { name: dataset }, 'datasets');
  }

  /** Every object of a kind, or undefined when the dataset does not exist (404). */
  public async list(kind: 'derivedColumns' | 'triggers' | 'slos' | 'boards', dataset: string): Promise<Json[] | undefined> {
    const found = await this.request<Json[] | undefined>('GET', this.collection(kind, dataset), undefined, kind, true);
    return found === undefined ? undefined : Array.isArray(found) ? found : [];
  }

  public async create(kind: 'derivedColumns' | 'triggers' | 'slos' | 'boards', dataset: string, body: Json): Promise<Json> {
    return this.request<Json>('POST', this.collection(kind, dataset), body, kind);
  }

  public async update(kind: 'derivedColumns' | 'triggers' | 'slos' | 'boards', dataset: string, id: string, body: Json): Promise<Json> {
    return this.request<Json>('PUT', `${this.collection(kind, dataset)}/${encodeURIComponent(id)}`, body, kind);
  }

  /** A saved query's spec, or undefined when the id is unknown. */
  public async getQuery(dataset: string, id: string): Promise<Json | undefined> {
    return this.request<Json>('GET', `/1/queries/${encodeURIComponent(dataset)}/${encodeURIComponent(id)}`, undefined, 'queries', true);
  }

  /** Saves a query spec (it does not run) and returns its id. */
  public async createQuery(dataset: string, spec: Json): Promise<string> {
    const saved = await this.request<Json>('POST', `/1/queries/${encodeURIComponent(dataset)}`, spec, 'queries');
    if (typeof saved['id'] !== 'string') throw new SetupError('Honeycomb saved a query but returned no id', 'other', 'queries');
    return saved['id'];
  }

  /** Every query annotation of a dataset (an empty list when the dataset does not exist). */
  public async listAnnotations(dataset: string): Promise<Json[]> {
    const found = await this.request<Json[] | undefined>('GET', `/1/query_annotations/${encodeURIComponent(dataset)}`, undefined, 'queries', true);
    return Array.isArray(found) ? found : [];
  }

  /** Names a saved query (a board's query panel needs one); returns the annotation's id. */
  public async createAnnotation(dataset: string, body: { name: string; description: string; query_id: string }): Promise<string> {
    const saved = await this.request<Json>('POST', `/1/query_annotations/${encodeURIComponent(dataset)}`, body, 'queries');
    if (typeof saved['id'] !== 'string') throw new SetupError('Honeycomb saved a query annotation but returned no id', 'other', 'queries');
    return saved['id'];
  }

  public async updateAnnotation(dataset: string, id: string, body: { name: string; description: string; query_id: string }): Promise<void> {
    await this.request('PUT', `/1/query_annotations/${encodeURIComponent(dataset)}/${encodeURIComponent(id)}`, body, 'queries');
  }

  private collection(kind: 'derivedColumns' | 'triggers' | 'slos' | 'boards', dataset: string): string {
    const ds = encodeURIComponent(dataset);
    switch (kind) {
      case 'derivedColumns': return `/1/derived_columns/${ds}`;
      case 'triggers': return `/1/triggers/${ds}`;
      case 'slos': return `/1/slos/${ds}`;
      case 'boards': return '/1/boards';
    }
  }

  private transport(path: string): HttpTransport {
    let transport = this.transports.get(path);
    if (!transport) {
      transport = new HttpTransport(new URL(path, this.options.apiHost), 16 * 1_048_576);
      this.transports.set(path, transport);
    }
    return transport;
  }

  private send(method: Method, path: string, body: Json | undefined, signal: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      'x-honeycomb-team': this.options.configKey, 'user-agent': this.options.userAgent ?? 'lambda-governance-honeycomb-setup',
      ...(body !== undefined && { 'content-type': 'application/json' }),
    };
    if (method === 'GET') return this.transport(path).get(headers, signal);
    const bytes = Buffer.from(JSON.stringify(body ?? {}));
    return method === 'POST' ? this.transport(path).post(bytes, headers, signal) : this.transport(path).put(bytes, headers, signal);
  }

  /** One API call with retries. `orMissing`: a 404 answers undefined instead of failing. */
  private async request<T>(method: Method, path: string, body: Json | undefined, kind: Kind | undefined, orMissing = false): Promise<T> {
    const { deadline } = this.options;
    for (let attempt = 0; ; attempt++) {
      const call = abortAfter(Math.min(this.options.timeoutMs ?? 10_000, deadline - Date.now()));
      let response: HttpResponse | undefined;
      let failure: string;
      try {
        response = await this.send(method, path, body, call.signal);
        failure = `HTTP ${response.status}`;
      } catch (error) {
        failure = call.signal.aborted ? 'request timed out' : `network: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
      } finally {
        call.cancel();
      }
      if (response !== undefined && response.status >= 200 && response.status < 300) {
        if (method !== 'GET') this.writes++;
        const text = response.body.toString('utf8');
        return (text.trim() === '' ? {} : JSON.parse(text)) as T;
      }
      if (response?.status === 404 && orMissing) return undefined as T;
      if (response !== undefined && response.status !== 429 && response.status < 500) throw refusal(method, path, response, kind);
      const retryAfter = response === undefined ? undefined : retryAfterMs(response.headers['retry-after']);
      if (!(await waitForRetry(attempt, { signal: new AbortController().signal, deadline }, retryAfter, BACKOFF))) {
        throw new SetupError(`${method} ${path} failed: ${failure}, out of time after ${attempt + 1} attempts`, 'other', kind);
      }
    }
  }
}

/** Honeycomb's message from any of its error formats (§7.1). */
function problemText(response: HttpResponse): string {
  const text = response.body.toString('utf8').slice(0, 2_000);
  try {
    const parsed = JSON.parse(text) as { error?: string; title?: string; detail?: string; type_detail?: Array<{ field?: string; description?: string }>; errors?: Array<{ title?: string; detail?: string }> };
    const details = parsed.type_detail?.map((d) => `${d.field ?? '?'}: ${d.description ?? ''}`).join('; ');
    const message = parsed.error ?? parsed.title ?? parsed.errors?.[0]?.detail ?? parsed.errors?.[0]?.title ?? '';
    return [message, parsed.detail, details].filter((s) => s).join(' - ');
  } catch {
    return text.trim();
  }
}

const PLAN_WORDS = /\b(plan|pro|enterprise|upgrade|feature)\b/i;

function refusal(method: Method, path: string, response: HttpResponse, kind: Kind | undefined): SetupError {
  const text = problemText(response);
  const said = text ? ` (Honeycomb said: ${text})` : '';
  const planFeature = kind === undefined ? undefined : PLAN_FEATURE[kind];
  if ((response.status === 402 || response.status === 403) && planFeature !== undefined && PLAN_WORDS.test(text)) {
    return new SetupError(`your Honeycomb plan does not include ${planFeature}${said}`, 'plan', kind);
  }
  if (response.status === 401 || response.status === 403) {
    const need = kind === undefined ? 'a valid configuration key' : `a configuration key with the "${PERMISSIONS[kind]}" permission`;
    return new SetupError(`Honeycomb answered ${response.status} to ${method} ${path}: the key is wrong or lacks permission; this needs ${need}${said}`, 'permission', kind);
  }
  return new SetupError(`Honeycomb refused ${method} ${path}: HTTP ${response.status}${said}`, 'other', kind);
}
