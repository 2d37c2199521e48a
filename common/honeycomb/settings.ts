/**
 * The Honeycomb settings the aggregator and the budget function share: a key given directly or a Secrets
 * Manager secret holding the keys, the API host and the dataset. Read once at init; errors name the variable.
 */
import { ConfigurationError, str, url, type Env } from '../env.js';
import { SecretsManagerKeys, StaticKeys, type KeySource } from './keys.js';
import { US_API_HOST } from './types.js';

export interface HoneycombSettings {
  /** Exactly one of apiKey / secretId; configKey only with apiKey (a secret carries its own). */
  apiKey?: string;
  configKey?: string;
  secretId?: string;
  secretTtlMs: number;
  apiHost: URL;
  dataset: string;
}

export function readHoneycombSettings(env: Env, secretTtlMs: number): HoneycombSettings {
  const apiKey = str(env, 'HONEYCOMB_API_KEY');
  const secretId = str(env, 'HONEYCOMB_SECRET');
  const configKey = str(env, 'HONEYCOMB_CONFIG_KEY');
  if (apiKey && secretId) throw new ConfigurationError('HONEYCOMB_API_KEY', 'set either HONEYCOMB_API_KEY or HONEYCOMB_SECRET, not both');
  if (!apiKey && !secretId) throw new ConfigurationError('HONEYCOMB_SECRET', 'is required (the Secrets Manager secret holding the Honeycomb keys), or set HONEYCOMB_API_KEY');
  if (configKey && secretId) throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'comes from the secret when HONEYCOMB_SECRET is set; do not set both');
  // Dataset names are 1–255 characters; a slash cannot be sent in the path.
  const dataset = str(env, 'HONEYCOMB_DATASET') ?? 'genops-ai';
  if (dataset.length > 255 || dataset.includes('/')) throw new ConfigurationError('HONEYCOMB_DATASET', `must be 1-255 characters without "/", got "${dataset}"`);
  return {
    ...(apiKey && { apiKey }), ...(configKey && { configKey }), ...(secretId && { secretId }),
    secretTtlMs, apiHost: url('HONEYCOMB_API_HOST', str(env, 'HONEYCOMB_API_HOST') ?? US_API_HOST), dataset,
  };
}

export function honeycombKeys(settings: HoneycombSettings, region: string | undefined): KeySource {
  return settings.apiKey !== undefined
    ? new StaticKeys({ ingestKey: settings.apiKey, ...(settings.configKey && { configKey: settings.configKey }) })
    : new SecretsManagerKeys(settings.secretId!, settings.secretTtlMs, region);
}
