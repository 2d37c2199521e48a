/**
 * The local run's functions, configured as the CDK stack configures them and run under the local Lambda
 * runtime: the three governed samples (each with its team's GOVERNANCE_* variables, the layer on NODE_PATH),
 * the aggregator and the budget function. The AWS SDK comes from the repository's node_modules, standing in
 * for the runtime's own.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BudgetDefinitionInput } from '../../common/budgets/index.js';
import { buildLayer } from '../build-layer.js';
import { buildPipelineFunctions, buildSamples } from '../build-functions.js';
import { FunctionPool } from './function-pool.js';
import { KEEP_COST_USD, type HoneycombTarget } from './options.js';
import { RESOURCE_NAMES, STREAM_SHARDS, type LocalServices } from './services.js';
import { ENFORCED_BUDGET_ID } from './budgets.js';
import { SAMPLE_FUNCTIONS, type SampleName } from './workload.js';

const REPO_NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
/** The local run's own builds and logs: it never rewrites dist/layer, which other runs may be loading. */
export const LOCAL_RUN_DIR = fileURLToPath(new URL('../../dist/local-run', import.meta.url));
export const AGGREGATOR_TIMEOUT_MS = 60_000;

/** Where the AWS SDK finds credentials when the Honeycomb secret lives in the user's AWS account. */
const AWS_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'HOME',
];

export interface FunctionBundles { layerNodePath: string; samples: Record<SampleName, string>; aggregator: string; budget: string }

/** Builds the layer and bundles the samples, the aggregator and the budget function under `outDir`. */
export async function buildFunctions(outDir = LOCAL_RUN_DIR): Promise<FunctionBundles> {
  const { nodePath } = await buildLayer(outDir);
  const samples = await buildSamples(join(outDir, 'functions')) as Record<SampleName, string>;
  const { aggregator, budget } = await buildPipelineFunctions(join(outDir, 'functions'), ['aggregator', 'budget']);
  return { layerNodePath: nodePath, samples, aggregator: aggregator!, budget: budget! };
}

export interface LocalFunctions {
  samples: Record<SampleName, FunctionPool>;
  aggregator: FunctionPool;
  budget: FunctionPool;
  /** true when the budget function posts markers (a configuration key is available). */
  markers: boolean;
}

/** HONEYCOMB_* for the aggregator and the budget function, and the AWS variables reading the secret needs. */
function honeycombEnv(target: HoneycombTarget, services: LocalServices, parentEnv: NodeJS.ProcessEnv): Record<string, string> {
  if (target.kind === 'stand-in') {
    return { HONEYCOMB_SECRET: RESOURCE_NAMES.secret, HONEYCOMB_API_HOST: services.honeycomb!.url, HONEYCOMB_DATASET: target.dataset };
  }
  const common = { HONEYCOMB_API_HOST: target.apiHost, HONEYCOMB_DATASET: target.dataset };
  if (target.secretId === undefined) return { ...common, HONEYCOMB_SECRET: RESOURCE_NAMES.secret };
  // The user's secret is read from their AWS account (or the Secrets Manager endpoint they set), with their credentials.
  const passed = Object.fromEntries(AWS_CREDENTIAL_VARIABLES.flatMap((k) => (parentEnv[k] ? [[k, parentEnv[k]!]] : [])));
  return { ...common, HONEYCOMB_SECRET: target.secretId, ...passed };
}

export async function startFunctions(input: {
  services: LocalServices; target: HoneycombTarget; budgets: BudgetDefinitionInput[]; bundles: FunctionBundles;
  concurrency: number; sampleRate: number; parentEnv?: NodeJS.ProcessEnv;
}): Promise<LocalFunctions> {
  const { services, target, bundles } = input;
  // The machine's Node version is not Lambda's: the SDK's notice about Node 20 says nothing about the function.
  const endpoints: Record<string, string> = { ...services.endpoints(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  if (target.kind === 'honeycomb' && target.secretId !== undefined) delete endpoints.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const honeycomb = honeycombEnv(target, services, input.parentEnv ?? process.env);
  const budgets = JSON.stringify(input.budgets);
  const markers = target.kind === 'stand-in' || target.secretId !== undefined || target.configKey !== undefined;

  const pools: FunctionPool[] = [];
  const start = async (name: string, size: number, handler: string, nodePath: string[], env: Record<string, string>, timeoutMs = 10_000): Promise<FunctionPool> => {
    const pool = await FunctionPool.start(name, size, { handler, nodePath, env: { ...endpoints, ...env }, timeoutMs }, join(LOCAL_RUN_DIR, 'logs', `${name}.log`));
    pools.push(pool);
    return pool;
  };
  try {
    const samples = {} as Record<SampleName, FunctionPool>;
    for (const [fn, { team, project }] of Object.entries(SAMPLE_FUNCTIONS) as [SampleName, typeof SAMPLE_FUNCTIONS[SampleName]][]) {
      samples[fn] = await start(fn, input.concurrency, `${bundles.samples[fn]}#handler`, [bundles.layerNodePath, REPO_NODE_MODULES], {
        GOVERNANCE_STREAM_NAME: RESOURCE_NAMES.stream, GOVERNANCE_TEAM: team, GOVERNANCE_PROJECT: project, GOVERNANCE_ENVIRONMENT: 'local',
        ...(fn === 'chat' && {
          CHAT_BUDGET_ID: ENFORCED_BUDGET_ID, GOVERNANCE_BUDGET_TABLE: RESOURCE_NAMES.table, GOVERNANCE_BUDGET_ENFORCE: 'true', GOVERNANCE_BUDGET_CACHE_SECONDS: '1',
        }),
      });
    }
    // One aggregator environment per shard: the mapping invokes them in parallel, as Lambda does.
    const aggregator = await start('aggregator', STREAM_SHARDS, `${bundles.aggregator}#handler`, [REPO_NODE_MODULES], {
      ...honeycomb, AGGREGATOR_DEAD_LETTER_QUEUE_URL: services.queueUrl, AGGREGATOR_SAMPLE_RATE: String(input.sampleRate), AGGREGATOR_KEEP_COST_USD: String(KEEP_COST_USD),
      LEDGER_TABLE: RESOURCE_NAMES.table, GOVERNANCE_BUDGETS: budgets,
    }, AGGREGATOR_TIMEOUT_MS);
    const budget = await start('budget', 1, `${bundles.budget}#handler`, [REPO_NODE_MODULES], {
      ...honeycomb, LEDGER_TABLE: RESOURCE_NAMES.table, GOVERNANCE_BUDGETS: budgets, BUDGET_ALERT_TOPIC_ARN: services.topicArn,
      ...(!markers && { BUDGET_MARKERS: 'false' }),
    }, 60_000);
    return { samples, aggregator, budget, markers };
  } catch (error) {
    await Promise.all(pools.map((p) => p.stop()));
    throw error;
  }
}

export function allPools(functions: LocalFunctions): FunctionPool[] {
  return [...Object.values(functions.samples), functions.aggregator, functions.budget];
}
