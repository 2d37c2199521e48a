/**
 * GovernancePipeline's props are checked when the pipeline is constructed: a wrong one is a GovernancePropsError
 * that names it (and suggests the prop a typo meant), so `cdk synth` fails before anything deploys.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { GovernancePipeline } from '../../infra/pipeline.js';
import { BUDGETS, ENV, SECRET_NAME, pipelineStack, propsError, testApp, type PipelineInput } from './support.js';

/** Construction only: no synth. */
const construct = (input: PipelineInput) => pipelineStack(testApp(), input);
const errorOf = (input: Record<string, unknown>) => propsError(() => construct(input as PipelineInput));

describe('GovernancePipeline props', () => {
  it.each([
    ['an unknown prop, suggesting the known one', { parallelisationFactor: 2 }, 'parallelisationFactor', /did you mean "parallelizationFactor"/],
    ['parallelizationFactor above 10', { parallelizationFactor: 11 }, 'parallelizationFactor', /from 1 to 10, got 11/],
    ['batchSize 0', { batchSize: 0 }, 'batchSize', /from 1 to 10000, got 0/],
    ['batchSize above 10,000', { batchSize: 10_001 }, 'batchSize', /got 10001/],
    ['a fractional batchSize', { batchSize: 1.5 }, 'batchSize', /integer/],
    ['negative retryAttempts', { retryAttempts: -1 }, 'retryAttempts', /from 0 to 10000, got -1/],
    ['maxRecordAge equal to streamRetention', { maxRecordAge: Duration.hours(24) }, 'maxRecordAge', /must be below streamRetention/],
    ['maxRecordAge above streamRetention', { streamRetention: Duration.hours(48), maxRecordAge: Duration.days(3) }, 'maxRecordAge', /must be below streamRetention/],
    ['streamRetention under 24 hours', { streamRetention: Duration.hours(12) }, 'streamRetention', /from 86400/],
    ['streamRetention in part hours', { streamRetention: Duration.minutes(24 * 60 + 30) }, 'streamRetention', /whole hours/],
    ['maxBatchingWindow above 300 s', { maxBatchingWindow: Duration.seconds(301) }, 'maxBatchingWindow', /from 0 to 300/],
    ['shardCount with onDemand', { onDemand: true, shardCount: 2 }, 'shardCount', /onDemand/],
    ['an alertEmail that is no address', { alertEmail: 'ops at example.com' }, 'alertEmail', /not an email address/],
    ['an http honeycombApiHost', { honeycombApiHost: 'http://api.honeycomb.io' }, 'honeycombApiHost', /must be https/],
    ['a honeycombApiHost that is no URL', { honeycombApiHost: 'api.honeycomb.io' }, 'honeycombApiHost', /not a URL/],
    ['a missing honeycombSecret', { honeycombSecret: undefined }, 'honeycombSecret', /is required/],
    ['an empty honeycombSecret', { honeycombSecret: '' }, 'honeycombSecret', /is required/],
    ['an ARN that is not a secret', { honeycombSecret: 'arn:aws:s3:::honeycomb-keys' }, 'honeycombSecret', /not a Secrets Manager secret ARN/],
    ['a secret name with spaces', { honeycombSecret: 'honeycomb keys' }, 'honeycombSecret', /neither a secret name nor an ARN/],
    ['a Python runtime', { runtime: lambda.Runtime.PYTHON_3_12 }, 'runtime', /nodejs22\.x or nodejs24\.x, got python3\.12/],
    ['nodejs20.x', { runtime: lambda.Runtime.NODEJS_20_X }, 'runtime', /got nodejs20\.x/],
    ['a dataset with "/"', { dataset: 'ai/costs' }, 'dataset', /without "\/"/],
    ['an unknown deployMarker option, suggesting the known one', { deployMarker: { messages: 'x' } }, 'deployMarker.messages', /did you mean "message"/],
    ['a missing layer zip, saying how to build it', { layerZipPath: '/nonexistent/layer.zip' }, 'layerZipPath', /\/nonexistent\/layer\.zip does not exist; run "npm run build"/],
  ])('rejects %s', (_, input, prop, message) => {
    const error = errorOf(input);
    expect(error.prop).toBe(`GovernancePipeline.${prop}`);
    expect(error.message.startsWith(`GovernancePipeline.${prop}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('names the budget and the field of a bad budget', () => {
    const error = errorOf({ budgets: [BUDGETS[0], { id: 'team-b', limitUsd: -1, period: 'daily' }] });
    expect(error.prop).toBe('GovernancePipeline.budgets');
    expect(error.message).toMatch(/"team-b".*limitUsd/);
    expect(error.message).toContain('got -1');
  });

  it('suggests the known key for an unknown budget key', () => {
    const error = errorOf({ budgets: [{ id: 'team-b', limitUsd: 10, period: 'daily', threshold: [50] }] });
    expect(error.prop).toBe('GovernancePipeline.budgets');
    expect(error.message).toMatch(/"team-b".*threshold.*did you mean "thresholds"/);
  });

  it('accepts the limits themselves', () => {
    expect(() => construct({
      parallelizationFactor: 10, batchSize: 10_000, retryAttempts: 0, maxBatchingWindow: Duration.seconds(0),
      streamRetention: Duration.hours(24), maxRecordAge: Duration.hours(23), runtime: lambda.Runtime.NODEJS_22_X,
      honeycombSecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hc-AbCdEf', budgets: BUDGETS,
      deployMarker: { message: 'm', url: 'https://example.com', dataset: '__all__', deployId: 'x' },
    })).not.toThrow();
  });

  it('take budgets as users write them (docs/budgets.md), defaults left out', () => {
    const stack = new Stack(testApp(), 'Typed', { env: ENV });
    const pipeline = new GovernancePipeline(stack, 'Pipeline', { honeycombSecret: SECRET_NAME, budgets: [{ id: 'team-a', limitUsd: 10, period: 'daily' }] });
    expect(pipeline.ledgerTable).toBeDefined();
  });
});
