import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../common/env.js';
import { readAggregatorConfig } from '../../functions/aggregator/config.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/governance-dlq';
const minimal = { HONEYCOMB_SECRET: 'honeycomb/ingest', AGGREGATOR_DEAD_LETTER_QUEUE_URL: QUEUE };

function errorOf(env: Record<string, string>): ConfigurationError {
  try {
    readAggregatorConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`readAggregatorConfig accepted ${JSON.stringify(env)}`);
}

describe('readAggregatorConfig', () => {
  it('fills in the defaults', () => {
    expect(readAggregatorConfig({ ...minimal, AWS_REGION: 'eu-west-1' })).toEqual({
      secretId: 'honeycomb/ingest', secretTtlMs: 300_000, apiHost: new URL('https://api.honeycomb.io'), dataset: 'genops-ai',
      deadLetterQueueUrl: QUEUE, region: 'eu-west-1', sampleRate: 1, keepCostUsd: 0.05, deadlineMarginMs: 1_000,
      requestTimeoutMs: 10_000, concurrency: 4, maxBatchEvents: 2_000,
    });
  });

  it('reads every setting', () => {
    const config = readAggregatorConfig({
      HONEYCOMB_API_KEY: 'hcaik_123', AGGREGATOR_DEAD_LETTER_QUEUE_URL: QUEUE, HONEYCOMB_API_HOST: 'https://api.eu1.honeycomb.io',
      HONEYCOMB_DATASET: 'ai-costs', AGGREGATOR_SAMPLE_RATE: '20', AGGREGATOR_KEEP_COST_USD: '0.25', AGGREGATOR_DEADLINE_MARGIN_MS: '500',
      AGGREGATOR_REQUEST_TIMEOUT_MS: '3000', AGGREGATOR_CONCURRENCY: '8', AGGREGATOR_MAX_BATCH_EVENTS: '500', AGGREGATOR_SECRET_TTL_SECONDS: '60',
    });
    expect(config).toMatchObject({
      apiKey: 'hcaik_123', apiHost: new URL('https://api.eu1.honeycomb.io'), dataset: 'ai-costs', sampleRate: 20, keepCostUsd: 0.25,
      deadlineMarginMs: 500, requestTimeoutMs: 3_000, concurrency: 8, maxBatchEvents: 500, secretTtlMs: 60_000,
    });
    expect(config).not.toHaveProperty('secretId');
  });

  it.each([
    ['no Honeycomb key', { AGGREGATOR_DEAD_LETTER_QUEUE_URL: QUEUE }, 'HONEYCOMB_SECRET', /is required/],
    ['both keys', { ...minimal, HONEYCOMB_API_KEY: 'hcaik_123' }, 'HONEYCOMB_API_KEY', /either HONEYCOMB_API_KEY or HONEYCOMB_SECRET, not both/],
    ['no dead-letter queue', { HONEYCOMB_SECRET: 's' }, 'AGGREGATOR_DEAD_LETTER_QUEUE_URL', /is required/],
    ['a dead-letter queue that is no URL', { ...minimal, AGGREGATOR_DEAD_LETTER_QUEUE_URL: 'governance-dlq' }, 'AGGREGATOR_DEAD_LETTER_QUEUE_URL', /not a valid URL/],
    ['a rate with a unit', { ...minimal, AGGREGATOR_SAMPLE_RATE: '10x' }, 'AGGREGATOR_SAMPLE_RATE', /whole number, got "10x"/],
    ['a rate of 0', { ...minimal, AGGREGATOR_SAMPLE_RATE: '0' }, 'AGGREGATOR_SAMPLE_RATE', /between 1 and 1000000, got 0/],
    ['a negative cost', { ...minimal, AGGREGATOR_KEEP_COST_USD: '-1' }, 'AGGREGATOR_KEEP_COST_USD', /must be a number, got "-1"/],
    ['a cost with a currency', { ...minimal, AGGREGATOR_KEEP_COST_USD: '$0.05' }, 'AGGREGATOR_KEEP_COST_USD', /must be a number/],
    ['too many batches in flight', { ...minimal, AGGREGATOR_CONCURRENCY: '65' }, 'AGGREGATOR_CONCURRENCY', /between 1 and 64/],
    ['a fractional timeout', { ...minimal, AGGREGATOR_REQUEST_TIMEOUT_MS: '2.5' }, 'AGGREGATOR_REQUEST_TIMEOUT_MS', /whole number/],
    ['a typo', { ...minimal, AGGREGATOR_SAMPLERATE: '10' }, 'AGGREGATOR_SAMPLERATE', /not a known setting \(a typo\?\)/],
    ['an API host that is no URL', { ...minimal, HONEYCOMB_API_HOST: 'api.honeycomb.io' }, 'HONEYCOMB_API_HOST', /not a valid URL/],
    ['an API host over ftp', { ...minimal, HONEYCOMB_API_HOST: 'ftp://api.honeycomb.io' }, 'HONEYCOMB_API_HOST', /http\(s\) URL/],
    ['a dataset with a slash', { ...minimal, HONEYCOMB_DATASET: 'ai/costs' }, 'HONEYCOMB_DATASET', /without "\/", got "ai\/costs"/],
    ['a dataset of 256 characters', { ...minimal, HONEYCOMB_DATASET: 'd'.repeat(256) }, 'HONEYCOMB_DATASET', /1-255 characters/],
  ])('rejects %s, naming %s', (_what, env: Record<string, string>, setting, message) => {
    const error = errorOf(env);
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });
});
