/**
 * The deploy marker's settings, read once at init: the shared Honeycomb settings (HONEYCOMB_SECRET, or
 * HONEYCOMB_API_KEY with HONEYCOMB_CONFIG_KEY; HONEYCOMB_API_HOST) and DEPLOY_MARKER_TIMEOUT_MS. A wrong value
 * throws a ConfigurationError naming the variable; handler.ts turns it into a FAILED answer to CloudFormation.
 */
import { ConfigurationError, int, rejectUnknown, str, type Env } from '../../common/env.js';
import { readHoneycombSettings, type HoneycombSettings } from '../../common/honeycomb/settings.js';

/** HoneycombSettings.dataset is unused: each resource names its dataset in its properties. */
export interface DeployMarkerConfig extends HoneycombSettings {
  /** Deadline of one marker request. */
  requestTimeoutMs: number;
  region?: string;
}

const KNOWN = new Set(['DEPLOY_MARKER_TIMEOUT_MS']);

export function readDeployMarkerConfig(env: Env): DeployMarkerConfig {
  rejectUnknown(env, 'DEPLOY_MARKER_', KNOWN);
  // Deploys are minutes apart; a rotated secret is still picked up by the 401 refresh.
  const honeycomb = readHoneycombSettings(env, 300_000);
  // Visible in the function's own environment, unlike a secret's content: fail the deploy so it gets fixed.
  if (honeycomb.apiKey && !honeycomb.configKey) {
    throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'is required with HONEYCOMB_API_KEY: ingest keys cannot create markers');
  }
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  return { ...honeycomb, ...(region && { region }), requestTimeoutMs: int(env, 'DEPLOY_MARKER_TIMEOUT_MS', 5_000, 100, 60_000) };
}
