/**
 * The Honeycomb ingest key: from HONEYCOMB_API_KEY, or from a Secrets Manager secret cached with a TTL.
 * The cache holds the in-flight promise (concurrent invocations share one fetch) and evicts it on failure;
 * a 401 from Honeycomb invalidates it so the next attempt refetches (a rotated key). Error messages name
 * the secret, never its value.
 */
import { SecretFetchError } from '../errors.js';
import { loadAwsModule } from './aws-sdk.js';

export interface ApiKeyProvider {
  readonly refreshable: boolean;
  get(signal: AbortSignal): Promise<string>;
  invalidate(): void;
}

export class StaticApiKey implements ApiKeyProvider {
  public readonly refreshable = false;
  public constructor(private readonly key: string) {}
  public get(): Promise<string> {
    return Promise.resolve(this.key);
  }
  public invalidate(): void {}
}

interface SecretsManagerModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<{ SecretString?: string }> };
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
}

/** Reads the ingest key out of a secret: a plain string, or JSON holding `ingestKey` (or `apiKey`). */
export function ingestKeyFromSecret(secretId: string, secretString: string | undefined): string {
  const value = secretString?.trim();
  if (!value) throw new SecretFetchError(`secret ${secretId} has no SecretString`);
  if (!value.startsWith('{')) return value;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
  } catch (error) {
    throw new SecretFetchError(`secret ${secretId} looks like JSON but does not parse`, { cause: error });
  }
  const key = parsed.ingestKey ?? parsed.apiKey;
  if (typeof key !== 'string' || key === '') throw new SecretFetchError(`secret ${secretId} holds no "ingestKey" string`);
  return key;
}

export class SecretsManagerApiKey implements ApiKeyProvider {
  public readonly refreshable = true;
  private cached?: { value: Promise<string>; expiresAt: number };
  private client?: InstanceType<SecretsManagerModule['SecretsManagerClient']>;
  private readonly sdk: SecretsManagerModule;

  public constructor(private readonly secretId: string, private readonly ttlMs: number, region: string | undefined) {
    this.sdk = loadAwsModule<SecretsManagerModule>('@aws-sdk/client-secrets-manager');
    this.client = new this.sdk.SecretsManagerClient({ ...(region && { region }), maxAttempts: 2 });
  }

  public get(signal: AbortSignal): Promise<string> {
    const now = Date.now();
    if (this.cached && now < this.cached.expiresAt) return this.cached.value;
    const value = this.fetch(signal);
    const entry = { value, expiresAt: now + this.ttlMs };
    this.cached = entry;
    value.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return value;
  }

  public invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(signal: AbortSignal): Promise<string> {
    let out: { SecretString?: string };
    try {
      out = await this.client!.send(new this.sdk.GetSecretValueCommand({ SecretId: this.secretId }), { abortSignal: signal });
    } catch (error) {
      throw new SecretFetchError(`could not read secret ${this.secretId}: ${(error as Error).name}`, { cause: error });
    }
    return ingestKeyFromSecret(this.secretId, out.SecretString);
  }
}
