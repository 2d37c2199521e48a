/**
 * npm run honeycomb:setup: sets Honeycomb up as code for one dataset: the derived columns, triggers, SLOs and
 * board from reference/genops-honeycomb-integration.md, created or updated so a second run changes nothing.
 *
 *   npm run honeycomb:setup -- --dataset genops-ai --dry-run
 *
 * The configuration key comes from HONEYCOMB_CONFIG_KEY, or from the Secrets Manager secret HONEYCOMB_SECRET
 * (its configKey). The host from --api-host or HONEYCOMB_API_HOST (default the US API). Exit code 1 with one
 * line naming the missing permission or plan feature; keys are never printed.
 */
import { parseArgs } from 'node:util';
import { ConfigurationError, str, url } from '../../common/env.js';
import { SecretsManagerKeys } from '../../common/honeycomb/keys.js';
import { US_API_HOST } from '../../common/honeycomb/types.js';
import { abortAfter } from '../../common/async.js';
import { SetupError } from './client.js';
import { runSetup, summarize } from './setup.js';

async function configKey(env: NodeJS.ProcessEnv): Promise<string> {
  const direct = str(env, 'HONEYCOMB_CONFIG_KEY');
  const secretId = str(env, 'HONEYCOMB_SECRET');
  if (direct && secretId) throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'set either HONEYCOMB_CONFIG_KEY or HONEYCOMB_SECRET, not both');
  if (direct) return direct;
  if (!secretId) throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'is required (a Honeycomb configuration key), or set HONEYCOMB_SECRET to a secret holding configKey');
  const timer = abortAfter(15_000);
  try {
    const keys = await new SecretsManagerKeys(secretId, 0, str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION')).get(timer.signal);
    if (keys.configKey === undefined) throw new ConfigurationError('HONEYCOMB_SECRET', `secret ${secretId} holds no configKey; setup needs a configuration key`);
    return keys.configKey;
  } finally {
    timer.cancel();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'api-host': { type: 'string' },
    },
  });
  const dataset = values.dataset?.trim() || str(process.env, 'HONEYCOMB_DATASET') || 'genops-ai';
  if (dataset.length > 255 || dataset.includes('/')) throw new ConfigurationError('--dataset', `must be 1-255 characters without "/", got "${dataset}"`);
  const apiHost = url(values['api-host'] ? '--api-host' : 'HONEYCOMB_API_HOST', values['api-host'] ?? str(process.env, 'HONEYCOMB_API_HOST') ?? US_API_HOST);
  const result = await runSetup({ dataset, apiHost, configKey: await configKey(process.env), dryRun: values['dry-run'] });
  for (const line of summarize(result)) console.log(line);
  if (result.errors.length > 0) {
    console.error(`honeycomb:setup: ${result.errors.map((e) => e.message).join('; ')}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  const known = error instanceof SetupError || error instanceof ConfigurationError || (error as Error).name === 'SecretFetchError' || (error as Error).name === 'TypeError';
  console.error(`honeycomb:setup: ${known ? (error as Error).message : String((error as Error).stack ?? error)}`);
  process.exitCode = 1;
}
