/**
 * Prop checks. Strict like Middy's option validation: an unknown prop (a typo, or a JavaScript caller) is an
 * error with the closest known name, and every limit AWS would only reject at deploy time fails the synth,
 * naming the prop.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { parseBudgets } from '../common/budgets/schema.js';
import type { BudgetDefinition, BudgetDefinitionInput } from '../common/budgets/types.js';
import { ConfigurationError } from '../common/env.js';
import { unknownKeyMessage } from '../common/suggest.js';
import { GovernancePropsError } from './errors.js';
import type { DeployMarkerOptions, GovernancePipelineProps, InstrumentOptions } from './types.js';

const PIPELINE_PROPS: readonly (keyof GovernancePipelineProps)[] = [
  'honeycombSecret', 'honeycombSecretKey', 'honeycombApiHost', 'dataset', 'shardCount', 'onDemand', 'streamRetention',
  'batchSize', 'maxBatchingWindow', 'parallelizationFactor', 'retryAttempts', 'maxRecordAge', 'bisectBatchOnError',
  'aggregatorMemorySize', 'aggregatorTimeout', 'sampleRate', 'budgets', 'budgetSchedule', 'budgetMarkers', 'alertEmail',
  'deployMarker', 'runtime', 'architecture', 'layerZipPath', 'logRetention', 'iteratorAgeAlarmThreshold', 'alarmTopic', 'retainData',
];
const DEPLOY_MARKER_PROPS: readonly (keyof DeployMarkerOptions)[] = ['message', 'url', 'dataset', 'deployId'];
const INSTRUMENT_PROPS: readonly (keyof InstrumentOptions)[] = ['team', 'project', 'environment', 'context', 'extract', 'budgetChecks'];
export const ASPECT_PROPS: readonly string[] = [...INSTRUMENT_PROPS, 'include'];

/** Runtimes the pipeline's functions are built and tested for. */
export const PIPELINE_RUNTIMES = [lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X];

export function rejectUnknownProps(owner: string, props: object, known: readonly string[]): void {
  for (const key of Object.keys(props)) {
    if (!known.includes(key)) throw new GovernancePropsError(`${owner}.${key}`, unknownKeyMessage(key, known).replace('field', 'prop'));
  }
}

function integer(prop: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new GovernancePropsError(prop, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function seconds(prop: string, value: Duration | undefined, fallback: Duration, min: number, max: number): Duration {
  const duration = value ?? fallback;
  if (duration.isUnresolved()) throw new GovernancePropsError(prop, 'must be a concrete duration, not a token');
  const s = duration.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < min || s > max) throw new GovernancePropsError(prop, `must be whole seconds from ${min} to ${max}, got ${duration.toHumanString()}`);
  return duration;
}

function honeycombHost(value: string | undefined): string {
  const host = value ?? 'https://api.honeycomb.io';
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new GovernancePropsError('GovernancePipeline.honeycombApiHost', `is not a URL: "${host}"`);
  }
  if (url.protocol !== 'https:') throw new GovernancePropsError('GovernancePipeline.honeycombApiHost', `must be https, got "${host}"`);
  return host;
}

function dataset(prop: string, value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (name.length < 1 || name.length > 255 || name.includes('/')) throw new GovernancePropsError(prop, `must be 1-255 characters without "/", got "${name}"`);
  return name;
}

function budgets(value: BudgetDefinitionInput[] | undefined): BudgetDefinition[] {
  if (value === undefined) return [];
  try {
    return parseBudgets(value, 'GovernancePipeline.budgets');
  } catch (error) {
    // The budget function's own schema: its message already names the budget and the field.
    if (error instanceof ConfigurationError) throw new GovernancePropsError('GovernancePipeline.budgets', error.message.replace(/^GovernancePipeline\.budgets:\s*/, ''), { cause: error });
    throw error;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type ResolvedPipelineProps = ReturnType<typeof resolvePipelineProps>;

export function resolvePipelineProps(props: GovernancePipelineProps) {
  rejectUnknownProps('GovernancePipeline', props, PIPELINE_PROPS);
  if (props.honeycombSecret === undefined || props.honeycombSecret === '') {
    throw new GovernancePropsError('GovernancePipeline.honeycombSecret', 'is required: the name or ARN of the Secrets Manager secret holding the Honeycomb keys');
  }
  const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
  if (!PIPELINE_RUNTIMES.some((r) => r.runtimeEquals(runtime))) {
    throw new GovernancePropsError('GovernancePipeline.runtime', `must be nodejs22.x or nodejs24.x, got ${runtime.name}`);
  }
  const streamRetention = seconds('GovernancePipeline.streamRetention', props.streamRetention, Duration.hours(24), 24 * 3600, 365 * 24 * 3600);
  if (streamRetention.toSeconds() % 3600 !== 0) throw new GovernancePropsError('GovernancePipeline.streamRetention', 'must be whole hours');
  const maxRecordAge = seconds('GovernancePipeline.maxRecordAge', props.maxRecordAge, Duration.hours(6), 60, 7 * 24 * 3600);
  if (maxRecordAge.toSeconds() >= streamRetention.toSeconds()) {
    throw new GovernancePropsError('GovernancePipeline.maxRecordAge', `(${maxRecordAge.toHumanString()}) must be below streamRetention (${streamRetention.toHumanString()}), so a failed batch can still be replayed from the stream`);
  }
  if (props.onDemand && props.shardCount !== undefined) {
    throw new GovernancePropsError('GovernancePipeline.shardCount', 'cannot be set with onDemand: true (on-demand streams scale their own shards)');
  }
  const deployMarker = props.deployMarker === false ? undefined : props.deployMarker ?? {};
  if (deployMarker) rejectUnknownProps('GovernancePipeline.deployMarker', deployMarker, DEPLOY_MARKER_PROPS);
  if (props.alertEmail !== undefined && !EMAIL.test(props.alertEmail)) {
    throw new GovernancePropsError('GovernancePipeline.alertEmail', `is not an email address: "${props.alertEmail}"`);
  }
  const sampleRate = integer('GovernancePipeline.sampleRate', props.sampleRate, 1, 1, 1_000_000);
  const datasetName = dataset('GovernancePipeline.dataset', props.dataset, 'genops-ai');
  return {
    honeycombSecret: props.honeycombSecret,
    honeycombSecretKey: props.honeycombSecretKey,
    honeycombApiHost: honeycombHost(props.honeycombApiHost),
    dataset: datasetName,
    onDemand: props.onDemand ?? false,
    shardCount: integer('GovernancePipeline.shardCount', props.shardCount, 1, 1, 10_000),
    streamRetention,
    batchSize: integer('GovernancePipeline.batchSize', props.batchSize, 500, 1, 10_000),
    maxBatchingWindow: seconds('GovernancePipeline.maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(5), 0, 300),
    parallelizationFactor: integer('GovernancePipeline.parallelizationFactor', props.parallelizationFactor, 1, 1, 10),
    retryAttempts: integer('GovernancePipeline.retryAttempts', props.retryAttempts, 1_000, 0, 10_000),
    maxRecordAge,
    bisectBatchOnError: props.bisectBatchOnError ?? true,
    aggregatorMemorySize: integer('GovernancePipeline.aggregatorMemorySize', props.aggregatorMemorySize, 1024, 128, 10_240),
    aggregatorTimeout: seconds('GovernancePipeline.aggregatorTimeout', props.aggregatorTimeout, Duration.seconds(60), 10, 900),
    sampleRate,
    budgets: budgets(props.budgets),
    budgetSchedule: props.budgetSchedule,
    budgetMarkers: props.budgetMarkers ?? true,
    alertEmail: props.alertEmail,
    deployMarker: deployMarker && {
      ...deployMarker,
      dataset: dataset('GovernancePipeline.deployMarker.dataset', deployMarker.dataset, datasetName),
    },
    runtime,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    layerZipPath: props.layerZipPath,
    logRetention: props.logRetention,
    iteratorAgeAlarmThreshold: seconds('GovernancePipeline.iteratorAgeAlarmThreshold', props.iteratorAgeAlarmThreshold, Duration.minutes(5), 60, 7 * 24 * 3600),
    alarmTopic: props.alarmTopic,
    retainData: props.retainData ?? true,
  };
}

/** GOVERNANCE_CONTEXT_<FIELD> names, as the layer reads them. */
const CONTEXT_FIELD = /^[a-z][a-z0-9_]{0,63}$/;

export function checkInstrumentOptions(owner: string, options: InstrumentOptions, known: readonly string[] = INSTRUMENT_PROPS): void {
  rejectUnknownProps(owner, options, known);
  for (const field of Object.keys(options.context ?? {})) {
    if (!CONTEXT_FIELD.test(field)) throw new GovernancePropsError(`${owner}.context.${field}`, 'must be a lower_snake_case governance field, e.g. cost_center');
  }
}
