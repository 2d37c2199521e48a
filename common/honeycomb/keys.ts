/**
 * Honeycomb keys: given directly, or read from a Secrets Manager secret and cached with a TTL.
 * The secret is a plain ingest key, or JSON holding `ingestKey` (or `apiKey`) and optionally `configKey`
 * (or `configurationKey`): markers and setup need a configuration key, ingest keys cannot create them.
 * The cache holds the in-flight promise (concurrent callers share one fetch) and evicts it on failure; a 401
 * from Honeycomb invalidates it so the next attempt refetches a rotated key. Messages name the secret, never
 * its value. The AWS SDK is loaded at run time (common/aws/load-sdk.ts), so the layer never bundles it.
 */
import { loadAwsModule } from '../aws/load-sdk.js';

export interface HoneycombKeys {
  ingestKey: string;
  configKey?: string;
}

export interface KeySource {
  /** True when invalidate() can yield a different key (a secret that may have been rotated). */
  readonly refreshable: boolean;
  get(signal: AbortSignal): Promise<HoneycombKeys>;
  invalidate(): void;
}

/** The key could not be read from Secrets Manager. The message never holds the key. */
export class SecretFetchError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretFetchError';
  }
}

export class StaticKeys implements KeySource {
  public readonly refreshable = false;
  private readonly keys: Promise<HoneycombKeys>;
  public constructor(keys: HoneycombKeys) {
    this.keys = Promise.resolve(keys);
  }
  public get(): Promise<HoneycombKeys> {
    return this.keys;
  }
  public invalidate(): void {}
}

function stringField(parsed: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const value = parsed[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Reads the keys out of a secret's string. */
export function parseHoneycombSecret(secretId: string, secretString: string | undefined): HoneycombKeys {
  const value = secretString?.trim();
  if (!value) throw new SecretFetchError(`secret ${secretId} has no SecretString`);
  if (!value.startsWith('{')) return { ingestKey: value };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
  } catch (error) {
    throw new SecretFetchError(`secret ${secretId} looks like JSON but does not parse`, { cause: error });
  }
  const ingestKey = stringField(parsed, ['ingestKey', 'apiKey']);
  if (ingestKey === undefined) throw new SecretFetchError(`secret ${secretId} holds no "ingestKey" string`);
  const configKey = stringField(parsed, ['configKey', 'configurationKey']);
  return configKey === undefined ? { ingestKey } : { ingestKey, configKey };
}

interface SecretsManagerModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<{ SecretString?: string }> };
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
}

export class SecretsManagerKeys implements KeySource {
  public readonly refreshable = true;
  private cached?: { value: Promise<HoneycombKeys>; expiresAt: number };
  private readonly client: InstanceType<SecretsManagerModule['SecretsManagerClient']>;
  private readonly sdk: SecretsManagerModule;

  public constructor(private readonly secretId: string, private readonly ttlMs: number, region: string | undefined) {
    this.sdk = loadAwsModule<SecretsManagerModule>('@aws-sdk/client-secrets-manager');
    // A secret given by ARN lives in the ARN's region, which may not be the function's.
    const arnRegion = secretId.startsWith('arn:') ? secretId.split(':')[3] : undefined;
    const clientRegion = arnRegion || region;
    this.client = new this.sdk.SecretsManagerClient({ ...(clientRegion && { region: clientRegion }), maxAttempts: 2 });
  }

  public get(signal: AbortSignal): Promise<HoneycombKeys> {
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

  private async fetch(signal: AbortSignal): Promise<HoneycombKeys> {
    let out: { SecretString?: string };
    try {
      out = await this.client.send(new this.sdk.GetSecretValueCommand({ SecretId: this.secretId }), { abortSignal: signal });
    } catch (error) {
      throw new SecretFetchError(`could not read secret ${this.secretId}: ${(error as Error).name}`, { cause: error });
    }
    return parseHoneycombSecret(this.secretId, out.SecretString);
  }
}
