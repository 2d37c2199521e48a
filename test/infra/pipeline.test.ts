/**
 * GovernancePipeline's template: what a deploy stands up and what each prop changes. Three synths: the defaults
 * (with budgets, bundled, to look into the function packages), every tunable prop set to a non-default value,
 * and the lean pipeline (no budgets, on-demand stream, no deploy marker).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBudgets } from '../../common/budgets/load.js';
import { parseBudgets } from '../../common/budgets/schema.js';
import { DEFAULT_LAYER_ZIP } from '../../infra/paths.js';
import {
  ACCOUNT, BUDGETS, REGION, SECRET_NAME, arnOf, assetDir, environmentOf, flat, functionRole, list, logicalId, policyStatements, ref,
  resourceOf, resources, roleStatements, synthPipeline, type CfnResource, type SynthesizedPipeline,
} from './support.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:hc-AbCdEf`;
const SECRET_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALARM_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ops-alarms`;

/** The pipeline's own functions, as [name, function]. */
function pipelineFunctions({ pipeline }: SynthesizedPipeline): [string, lambda.Function][] {
  return [
    ['aggregator', pipeline.aggregator],
    ...(pipeline.budgetFunction ? [['budget function', pipeline.budgetFunction] as [string, lambda.Function]] : []),
    ...(pipeline.deployMarker ? [['deploy marker', pipeline.deployMarker.function] as [string, lambda.Function]] : []),
  ];
}

function eventSourceMapping(s: SynthesizedPipeline): Record<string, any> {
  const mappings = Object.values(resources(s.template, 'AWS::Lambda::EventSourceMapping'));
  expect(mappings).toHaveLength(1);
  return mappings[0]!.Properties!;
}

function alarms(s: SynthesizedPipeline): Record<string, any>[] {
  return Object.values(resources(s.template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
}

function secretStatements(s: SynthesizedPipeline) {
  return policyStatements(s.template).filter(({ statement }) => list(statement.Action).some((action) => action.startsWith('secretsmanager:')));
}

let defaults: SynthesizedPipeline;
let custom: SynthesizedPipeline;
let lean: SynthesizedPipeline;

beforeAll(() => {
  defaults = synthPipeline({ budgets: BUDGETS }, { bundle: true });
  custom = synthPipeline((stack) => ({
    honeycombSecret: SECRET_ARN,
    honeycombSecretKey: kms.Key.fromKeyArn(stack, 'SecretKey', SECRET_KEY_ARN),
    shardCount: 3,
    streamRetention: Duration.hours(48),
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(20),
    parallelizationFactor: 4,
    retryAttempts: 10,
    maxRecordAge: Duration.hours(2),
    bisectBatchOnError: false,
    budgets: BUDGETS,
    budgetSchedule: events.Schedule.cron({ minute: '0' }),
    alertEmail: 'ops@example.com',
    deployMarker: { message: 'release 1.2.3', url: 'https://ci.example.com/runs/42', dataset: '__all__', deployId: 'abc1234' },
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.X86_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    iteratorAgeAlarmThreshold: Duration.minutes(10),
    alarmTopic: sns.Topic.fromTopicArn(stack, 'OpsAlarms', ALARM_TOPIC_ARN),
    retainData: false,
  }));
  lean = synthPipeline({ onDemand: true, deployMarker: false });
});

describe('governance stream', () => {
  it('is encrypted with the pipeline key (not aws/kinesis), which rotates', () => {
    const stream = resourceOf(defaults.template, defaults.pipeline.stream).Properties!;
    expect(stream.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: arnOf(defaults.pipeline.key) });
    expect(resourceOf(defaults.template, defaults.pipeline.key).Properties!.EnableKeyRotation).toBe(true);
  });

  it('is provisioned with one shard and 24 hours of retention by default', () => {
    const stream = resourceOf(defaults.template, defaults.pipeline.stream).Properties!;
    expect(stream.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
    expect(stream.ShardCount).toBe(1);
    expect(stream.RetentionPeriodHours).toBe(24);
  });

  it('takes shardCount and streamRetention', () => {
    const stream = resourceOf(custom.template, custom.pipeline.stream).Properties!;
    expect(stream.ShardCount).toBe(3);
    expect(stream.RetentionPeriodHours).toBe(48);
  });

  it('is on-demand without a shard count with onDemand: true', () => {
    const stream = resourceOf(lean.template, lean.pipeline.stream).Properties!;
    expect(stream.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(stream).not.toHaveProperty('ShardCount');
  });
});

describe('event source mapping', () => {
  it('feeds the aggregator from the stream with partial batch responses, bisection, finite retries and an age limit', () => {
    const mapping = eventSourceMapping(defaults);
    expect(mapping).toMatchObject({
      EventSourceArn: arnOf(defaults.pipeline.stream),
      FunctionName: ref(defaults.pipeline.aggregator),
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1000,
      MaximumRecordAgeInSeconds: 21_600,
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: arnOf(defaults.pipeline.failedBatchQueue) } },
    });
  });

  it('takes each tuning prop', () => {
    expect(eventSourceMapping(custom)).toMatchObject({
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      ParallelizationFactor: 4,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 7_200,
      BisectBatchOnFunctionError: false,
      // Not tunable: these make failures visible and replayable.
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: arnOf(custom.pipeline.failedBatchQueue) } },
    });
  });

  it('gives the aggregator the right to send to the failed-batch queue', () => {
    const statements = roleStatements(defaults.template, functionRole(defaults.pipeline.aggregator));
    expect(statements).toContainEqual(expect.objectContaining({
      Action: expect.arrayContaining(['sqs:SendMessage']), Resource: arnOf(defaults.pipeline.failedBatchQueue),
    }));
  });
});

describe('queues', () => {
  it('are two, encrypted, kept 14 days, and refuse requests without TLS', () => {
    const { template, pipeline } = defaults;
    expect(Object.keys(resources(template, 'AWS::SQS::Queue'))).toHaveLength(2);
    const policies = Object.values(resources(template, 'AWS::SQS::QueuePolicy'));
    for (const queue of [pipeline.deadLetterQueue, pipeline.failedBatchQueue]) {
      expect(resourceOf(template, queue).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      const policy = policies.find((p) => list(p.Properties!.Queues).some((q) => JSON.stringify(q) === JSON.stringify(ref(queue))));
      expect(policy, `${queue.node.path} has a queue policy`).toBeDefined();
      expect(policy!.Properties!.PolicyDocument.Statement).toContainEqual(expect.objectContaining({
        Effect: 'Deny', Resource: arnOf(queue), Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }));
    }
  });

  it('the aggregator sends undeliverable records to the dead-letter queue', () => {
    const { template, pipeline } = defaults;
    expect(environmentOf(template, pipeline.aggregator).AGGREGATOR_DEAD_LETTER_QUEUE_URL).toEqual(ref(pipeline.deadLetterQueue));
    expect(roleStatements(template, functionRole(pipeline.aggregator))).toContainEqual(expect.objectContaining({
      Action: 'sqs:SendMessage', Resource: arnOf(pipeline.deadLetterQueue),
    }));
  });
});

describe('ledger table', () => {
  it('has the ledger keys, on-demand billing, a TTL and point-in-time recovery', () => {
    const table = resourceOf(defaults.template, defaults.pipeline.ledgerTable!).Properties!;
    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(table.AttributeDefinitions).toEqual(expect.arrayContaining([
      { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' },
    ]));
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('is kept, with the key and the queues, when the stack is deleted, unless retainData is false', () => {
    const retained = (s: SynthesizedPipeline): [string, string | undefined][] => [s.pipeline.ledgerTable!, s.pipeline.key, s.pipeline.deadLetterQueue, s.pipeline.failedBatchQueue]
      .map((c) => [c.node.id, resourceOf(s.template, c).DeletionPolicy]);
    expect(retained(defaults)).toEqual([['Ledger', 'Retain'], ['Key', 'Retain'], ['DeadLetterQueue', 'Retain'], ['FailedBatchQueue', 'Retain']]);
    expect(retained(custom)).toEqual([['Ledger', 'Delete'], ['Key', 'Delete'], ['DeadLetterQueue', 'Delete'], ['FailedBatchQueue', 'Delete']]);
  });

  it('and the budget function, its schedule and the aggregator\'s ledger writes exist only with budgets', () => {
    const { template, pipeline } = lean;
    expect(pipeline.ledgerTable).toBeUndefined();
    expect(pipeline.budgetFunction).toBeUndefined();
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    const env = environmentOf(template, pipeline.aggregator);
    expect(env).not.toHaveProperty('LEDGER_TABLE');
    expect(env).not.toHaveProperty('GOVERNANCE_BUDGETS_FILE');
    expect(JSON.stringify(roleStatements(template, functionRole(pipeline.aggregator)))).not.toContain('dynamodb:');
  });

  it('is written by the aggregator with claims that outlive the stream\'s replays', () => {
    for (const [s, hours] of [[defaults, '48'], [custom, '72']] as const) {
      const env = environmentOf(s.template, s.pipeline.aggregator);
      expect(env).toMatchObject({ LEDGER_TABLE: ref(s.pipeline.ledgerTable!), GOVERNANCE_BUDGETS_FILE: '/var/task/budgets.json', AGGREGATOR_LEDGER_CLAIM_TTL_HOURS: hours });
      expect(roleStatements(s.template, functionRole(s.pipeline.aggregator))).toContainEqual(expect.objectContaining({
        Action: expect.arrayContaining(['dynamodb:UpdateItem']), Resource: arnOf(s.pipeline.ledgerTable!),
      }));
    }
  });
});

describe('budget function', () => {
  it('runs every 5 minutes by default, with retries', () => {
    const { template, pipeline } = defaults;
    const rules = Object.values(resources(template, 'AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: arnOf(pipeline.budgetFunction!), RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 } }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', FunctionName: arnOf(pipeline.budgetFunction!),
    });
  });

  it('follows budgetSchedule', () => {
    custom.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 * * * ? *)', Targets: [Match.objectLike({ Arn: arnOf(custom.pipeline.budgetFunction!) })],
    });
  });

  it('knows the ledger, its budgets file and the alert topic', () => {
    const { template, pipeline } = defaults;
    expect(environmentOf(template, pipeline.budgetFunction!)).toMatchObject({
      LEDGER_TABLE: ref(pipeline.ledgerTable!),
      GOVERNANCE_BUDGETS_FILE: '/var/task/budgets.json',
      BUDGET_ALERT_TOPIC_ARN: ref(pipeline.alertTopic),
    });
    const statements = roleStatements(template, functionRole(pipeline.budgetFunction!));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Resource: ref(pipeline.alertTopic) }));
    // Publishing to the encrypted topic needs the key.
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kms:GenerateDataKey']), Resource: arnOf(pipeline.key) }));
  });

  it('and the aggregator are packaged with budgets.json: the budgets as validated', () => {
    const { app, template, pipeline } = defaults;
    const expected = parseBudgets(BUDGETS, 'test');
    // Normalized, not as written: defaults filled in.
    expect(expected[1]).toMatchObject({ thresholds: [50, 80, 90, 100], match: {} });
    for (const fn of [pipeline.budgetFunction!, pipeline.aggregator]) {
      const dir = assetDir(app, template, fn);
      expect(existsSync(join(dir, 'index.js')), `${fn.node.path} bundle`).toBe(true);
      const file = join(dir, 'budgets.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(expected)));
      // And the functions' own reader accepts it.
      expect(readBudgets({ GOVERNANCE_BUDGETS_FILE: file })).toEqual(expected);
    }
  });
});

describe('alert topic', () => {
  it('is encrypted with the pipeline key', () => {
    expect(resourceOf(defaults.template, defaults.pipeline.alertTopic).Properties!.KmsMasterKeyId).toEqual(arnOf(defaults.pipeline.key));
  });

  it('has an email subscription only when alertEmail is given', () => {
    defaults.template.resourceCountIs('AWS::SNS::Subscription', 0);
    lean.template.resourceCountIs('AWS::SNS::Subscription', 0);
    custom.template.resourceCountIs('AWS::SNS::Subscription', 1);
    custom.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: ref(custom.pipeline.alertTopic),
    });
  });

  it('lets the key be used by CloudWatch alarms publishing to it', () => {
    const statements = resourceOf(defaults.template, defaults.pipeline.key).Properties!.KeyPolicy.Statement as Record<string, any>[];
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
    }));
  });

  // enforceSSL's topic policy replaces SNS's default one, which let CloudWatch publish alarms.
  it('lets CloudWatch alarms publish to it', () => {
    const policies = Object.values(resources(defaults.template, 'AWS::SNS::TopicPolicy'));
    const statements = policies.flatMap((p) => list(p.Properties!.PolicyDocument.Statement as Record<string, any>[]));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: expect.stringMatching(/^sns:Publish$/i),
    }));
  });
});

describe('layer', () => {
  it('is dist/layer.zip, for nodejs22.x and nodejs24.x on both architectures', () => {
    const { app, template, pipeline } = defaults;
    const layer = resourceOf(template, pipeline.layer).Properties!;
    expect(layer.CompatibleRuntimes).toEqual(expect.arrayContaining(['nodejs22.x', 'nodejs24.x']));
    expect([...layer.CompatibleArchitectures].sort()).toEqual(['arm64', 'x86_64']);
    expect(readFileSync(assetDir(app, template, pipeline.layer)).equals(readFileSync(DEFAULT_LAYER_ZIP))).toBe(true);
  });
});

describe('pipeline functions', () => {
  it('run on nodejs24.x and arm64 by default', () => {
    expect(pipelineFunctions(defaults)).toHaveLength(3);
    for (const [name, fn] of pipelineFunctions(defaults)) {
      expect(resourceOf(defaults.template, fn).Properties, name).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('run on the chosen runtime and architecture', () => {
    for (const [name, fn] of pipelineFunctions(custom)) {
      expect(resourceOf(custom.template, fn).Properties, name).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['x86_64'] });
    }
  });

  it('each log to their own log group, with a retention, and may write to it only', () => {
    for (const [s, days] of [[defaults, 30], [custom, 7]] as const) {
      const groups = new Set<string>();
      for (const [name, fn] of pipelineFunctions(s)) {
        const group = resourceOf(s.template, fn).Properties!.LoggingConfig.LogGroup as { Ref: string };
        groups.add(group.Ref);
        const resource = (s.template.toJSON().Resources as Record<string, CfnResource>)[group.Ref]!;
        expect(resource.Type, name).toBe('AWS::Logs::LogGroup');
        expect(resource.Properties!.RetentionInDays, name).toBe(days);
        const logStatements = roleStatements(s.template, functionRole(fn)).filter((st) => list(st.Action).some((a) => a.startsWith('logs:')));
        expect(logStatements, name).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [group.Ref, 'Arn'] } })]);
      }
      expect(groups.size).toBe(3);
    }
  });

  it('have roles without managed policies (no AWSLambdaBasicExecutionRole)', () => {
    for (const [name, fn] of pipelineFunctions(defaults)) {
      expect(resourceOf(defaults.template, functionRole(fn)).Properties!.ManagedPolicyArns ?? [], name).toEqual([]);
    }
    expect(JSON.stringify(defaults.template.toJSON())).not.toContain('AWSLambdaBasicExecutionRole');
  });

  it('are created after their role\'s policy, so no invocation runs without its grants', () => {
    for (const [name, fn] of pipelineFunctions(defaults)) {
      const policy = functionRole(fn).node.tryFindChild('DefaultPolicy');
      expect(policy, name).toBeDefined();
      expect(resourceOf(defaults.template, fn).DependsOn, name).toContain(logicalId(policy!));
    }
  });
});

describe('alarms', () => {
  it('watch the iterator age, both queues, and the errors and throttles of the aggregator and the budget function', () => {
    const { pipeline } = defaults;
    const all = alarms(defaults);
    const fnDimension = (fn: lambda.Function) => [{ Name: 'FunctionName', Value: ref(fn) }];
    const queueDimension = (queue: typeof pipeline.deadLetterQueue) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }];
    const expected = [
      { MetricName: 'IteratorAge', Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 300_000, Dimensions: fnDimension(pipeline.aggregator) },
      { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Dimensions: queueDimension(pipeline.deadLetterQueue) },
      { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Dimensions: queueDimension(pipeline.failedBatchQueue) },
      { MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: fnDimension(pipeline.aggregator) },
      { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Dimensions: fnDimension(pipeline.aggregator) },
      { MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: fnDimension(pipeline.budgetFunction!) },
      { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Dimensions: fnDimension(pipeline.budgetFunction!) },
    ];
    expect(all).toHaveLength(expected.length);
    for (const alarm of expected) expect(all).toContainEqual(expect.objectContaining(alarm));
  });

  it('notify the alert topic', () => {
    for (const alarm of alarms(defaults)) expect(alarm.AlarmActions, alarm.MetricName).toEqual([ref(defaults.pipeline.alertTopic)]);
  });

  it('notify alarmTopic when given, and the iterator age threshold follows iteratorAgeAlarmThreshold', () => {
    const all = alarms(custom);
    expect(all).toHaveLength(7);
    for (const alarm of all) expect(alarm.AlarmActions, alarm.MetricName).toEqual([ALARM_TOPIC_ARN]);
    expect(all.find((a) => a.MetricName === 'IteratorAge')!.Threshold).toBe(600_000);
  });

  it('leave out the budget function without budgets', () => {
    const all = alarms(lean);
    expect(all).toHaveLength(5);
    const functions = all.flatMap((a) => list(a.Dimensions as { Name: string; Value: unknown }[])).filter((d) => d.Name === 'FunctionName');
    for (const dimension of functions) expect(dimension.Value).toEqual(ref(lean.pipeline.aggregator));
  });
});

describe('IAM', () => {
  it('grants no wildcard actions and no "*" resources', () => {
    for (const s of [defaults, custom, lean]) {
      const statements = policyStatements(s.template);
      expect(statements.length).toBeGreaterThan(5);
      for (const { policy, statement } of statements) {
        for (const action of list(statement.Action)) expect(action, `${policy}: ${action}`).not.toMatch(/\*/);
        for (const resource of list(statement.Resource)) {
          const text = flat(resource);
          expect(text, `${policy}: ${list(statement.Action).join(',')}`).not.toBe('*');
          expect(text, `${policy}: ${list(statement.Action).join(',')}`).not.toMatch(/[:/]\*$/);
        }
      }
    }
  });

  it('lets only the aggregator, the budget function and the deploy marker read the Honeycomb secret', () => {
    for (const s of [defaults, custom]) {
      const readers = new Set(secretStatements(s).flatMap((entry) => entry.roles));
      expect([...readers].sort()).toEqual(pipelineFunctions(s).map(([, fn]) => logicalId(functionRole(fn))).sort());
      for (const { statement } of secretStatements(s)) expect(statement.Action).toBe('secretsmanager:GetSecretValue');
    }
  });

  it('names a secret given by name with the narrowest pattern: <name>-??????', () => {
    const statements = secretStatements(defaults);
    expect(statements).toHaveLength(3);
    for (const { statement } of statements) {
      expect(flat(statement.Resource)).toBe(`arn:\${AWS::Partition}:secretsmanager:${REGION}:${ACCOUNT}:secret:${SECRET_NAME}-??????`);
    }
  });

  it('names a secret given by its complete ARN exactly', () => {
    const statements = secretStatements(custom);
    expect(statements).toHaveLength(3);
    for (const { statement } of statements) expect(statement.Resource).toBe(SECRET_ARN);
  });

  it('grants kms:Decrypt on honeycombSecretKey through Secrets Manager only', () => {
    for (const [name, fn] of pipelineFunctions(custom)) {
      const decrypts = roleStatements(custom.template, functionRole(fn)).filter((st) => st.Resource === SECRET_KEY_ARN);
      expect(decrypts, name).toEqual([{
        Effect: 'Allow', Action: 'kms:Decrypt', Resource: SECRET_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
      }]);
    }
    expect(JSON.stringify(defaults.template.toJSON())).not.toContain('kms:ViaService');
  });
});

describe('Honeycomb settings', () => {
  it('reach the functions as the secret\'s id, never as a key', () => {
    for (const [s, secretId] of [[defaults, SECRET_NAME], [custom, SECRET_ARN]] as const) {
      for (const [name, fn] of pipelineFunctions(s)) {
        const env = environmentOf(s.template, fn);
        expect(env.HONEYCOMB_SECRET, name).toBe(secretId);
        expect(Object.keys(env).filter((key) => key.startsWith('HONEYCOMB_')).sort(), name)
          .toEqual(['HONEYCOMB_API_HOST', 'HONEYCOMB_SECRET', ...(fn === s.pipeline.deployMarker?.function ? [] : ['HONEYCOMB_DATASET'])].sort());
        expect(Object.keys(env).filter((key) => /KEY/.test(key)), name).toEqual([]);
      }
    }
  });

  // A secret shared from another account is found only by its ARN, never by a name looked up in our own account.
  it('identify a secret given by partial ARN by that ARN, so one in another account is found', () => {
    const partial = `arn:aws:secretsmanager:${REGION}:999999999999:secret:shared/honeycomb`;
    const s = synthPipeline({ honeycombSecret: partial, deployMarker: false });
    expect(flat(secretStatements(s)[0]!.statement.Resource)).toBe(`${partial}-??????`);
    expect(environmentOf(s.template, s.pipeline.aggregator).HONEYCOMB_SECRET).toBe(partial);
  });
});

describe('deploy marker', () => {
  function marker(s: SynthesizedPipeline): Record<string, unknown> {
    const markers = Object.values(resources(s.template, 'Custom::HoneycombDeployMarker'));
    expect(markers).toHaveLength(1);
    return markers[0]!.Properties!;
  }

  it('is a custom resource served by the deploy-marker function, with a new DeployId on each synth', () => {
    const properties = marker(defaults);
    expect(properties).toMatchObject({
      ServiceToken: arnOf(defaults.pipeline.deployMarker!.function),
      Dataset: 'genops-ai',
      Message: 'deploy Governance',
      MarkerType: 'deploy',
    });
    expect(properties).not.toHaveProperty('Url');
    expect(new Date(properties.DeployId as string).toISOString()).toBe(properties.DeployId);
  });

  it('takes message, url, dataset and deployId', () => {
    expect(marker(custom)).toMatchObject({
      ServiceToken: arnOf(custom.pipeline.deployMarker!.function),
      Message: 'release 1.2.3', Url: 'https://ci.example.com/runs/42', Dataset: '__all__', MarkerType: 'deploy', DeployId: 'abc1234',
    });
  });

  it('is left out, with its function, with deployMarker: false', () => {
    expect(lean.pipeline.deployMarker).toBeUndefined();
    lean.template.resourceCountIs('Custom::HoneycombDeployMarker', 0);
    expect(Object.keys(resources(lean.template, 'AWS::Lambda::Function'))).toEqual([logicalId(lean.pipeline.aggregator)]);
  });
});
