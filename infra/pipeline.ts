/**
 * GovernancePipeline: everything behind the layer. A KMS-encrypted governance stream; the aggregator fed by an
 * event source mapping with partial batch responses, bisection, finite retries, a maximum record age and a
 * failed-batch queue; the dead-letter queue for records that can never be delivered; with budgets, the ledger
 * table and the scheduled budget function; the alert topic; the layer; alarms; a marker on each deploy.
 * `instrument(fn)` connects a user function to it.
 */
import { existsSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgePipelineFindings } from './acknowledgements.js';
import { PipelineAlarms } from './alarms.js';
import { HoneycombDeployMarker } from './deploy-marker.js';
import { GovernancePropsError } from './errors.js';
import { grantHoneycombSecret, honeycombSecret, type HoneycombSecret } from './honeycomb-secret.js';
import { instrumentFunction } from './instrument.js';
import { DEFAULT_LAYER_ZIP } from './paths.js';
import { PipelineFunction } from './pipeline-function.js';
import { resolvePipelineProps, type ResolvedPipelineProps } from './props.js';
import type { GovernancePipelineProps, InstrumentOptions } from './types.js';

/** Where the bundled budgets file lands in the function's package. */
const BUDGETS_FILE = '/var/task/budgets.json';
/** The budget function's alert lease (BUDGET_ALERT_LEASE_SECONDS, 300) must outlast its timeout. */
const BUDGET_FUNCTION_TIMEOUT = Duration.seconds(60);

export class GovernancePipeline extends Construct {
  /** Encrypts the stream and the alert topic. */
  public readonly key: kms.Key;
  public readonly stream: kinesis.Stream;
  public readonly layer: lambda.LayerVersion;
  public readonly aggregator: lambda.Function;
  /** Records the aggregator can never deliver, each with its reason. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The event source mapping's on-failure destination: ranges of batches that ran out of retries or age. */
  public readonly failedBatchQueue: sqs.Queue;
  public readonly alertTopic: sns.Topic;
  /** With budgets only. */
  public readonly ledgerTable?: dynamodb.Table;
  public readonly budgetFunction?: lambda.Function;
  public readonly deployMarker?: HoneycombDeployMarker;
  public readonly alarms: PipelineAlarms;

  public constructor(scope: Construct, id: string, props: GovernancePipelineProps) {
    super(scope, id);
    const config = resolvePipelineProps(props);
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secret = honeycombSecret(this, config.honeycombSecret);

    this.key = new kms.Key(this, 'Key', {
      description: 'lambda-governance: the governance stream and the alert topic',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch alarms publish to the encrypted topic with this key.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));

    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      retentionPeriod: config.streamRetention,
      ...(config.onDemand ? { streamMode: kinesis.StreamMode.ON_DEMAND } : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: config.shardCount }),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.layer = this.buildLayer(config.layerZipPath ?? DEFAULT_LAYER_ZIP);
    this.deadLetterQueue = this.queue('DeadLetterQueue', removalPolicy);
    this.failedBatchQueue = this.queue('FailedBatchQueue', removalPolicy);

    this.alertTopic = new sns.Topic(this, 'AlertTopic', { displayName: 'lambda-governance alerts', masterKey: this.key, enforceSSL: true });
    // enforceSSL replaces SNS's default topic policy, so CloudWatch needs its own right to publish alarms here.
    this.alertTopic.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.alertTopic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
    if (config.alertEmail) this.alertTopic.addSubscription(new subscriptions.EmailSubscription(config.alertEmail));

    if (config.budgets.length > 0) {
      this.ledgerTable = new dynamodb.Table(this, 'Ledger', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'expiresAt',
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
    }
    const budgetsJson = `${JSON.stringify(config.budgets, null, 2)}\n`;

    this.aggregator = this.buildAggregator(config, secret, budgetsJson);
    if (this.ledgerTable) this.budgetFunction = this.buildBudgetFunction(config, secret, this.ledgerTable, budgetsJson);
    if (config.deployMarker) {
      this.deployMarker = new HoneycombDeployMarker(this, 'DeployMarker', {
        ...config.deployMarker,
        secret, secretKey: config.honeycombSecretKey, apiHost: config.honeycombApiHost,
        runtime: config.runtime, architecture: config.architecture, logRetention: config.logRetention,
      });
    }
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      aggregator: this.aggregator,
      budgetFunction: this.budgetFunction,
      queues: [this.deadLetterQueue, this.failedBatchQueue],
      iteratorAgeThreshold: config.iteratorAgeAlarmThreshold,
      topic: config.alarmTopic ?? this.alertTopic,
    });
    acknowledgePipelineFindings({
      stream: this.stream, deadLetterQueue: this.deadLetterQueue, failedBatchQueue: this.failedBatchQueue, runtime: config.runtime,
      functions: [this.aggregator, ...(this.budgetFunction ? [this.budgetFunction] : []), ...(this.deployMarker ? [this.deployMarker.function] : [])],
    });
  }

  /** Instruments a user's Node.js function: the layer, its environment, PutRecords on the stream, tags. */
  public instrument(fn: lambda.Function, options: InstrumentOptions = {}): void {
    instrumentFunction(this, fn, options);
  }

  private buildLayer(zipPath: string): lambda.LayerVersion {
    if (!existsSync(zipPath)) throw new GovernancePropsError('GovernancePipeline.layerZipPath', `${zipPath} does not exist; run "npm run build" first`);
    return new lambda.LayerVersion(this, 'Layer', {
      code: lambda.Code.fromAsset(zipPath),
      description: 'lambda-governance: withGovernance() and the governance API (nodejs/node_modules/lambda-governance)',
      compatibleRuntimes: [lambda.Runtime.NODEJS_20_X, lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64, lambda.Architecture.X86_64],
      license: 'Apache-2.0',
    });
  }

  private queue(id: string, removalPolicy: RemovalPolicy): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
  }

  private honeycombEnvironment(config: ResolvedPipelineProps, secret: HoneycombSecret): Record<string, string> {
    return { HONEYCOMB_SECRET: secret.secretId, HONEYCOMB_API_HOST: config.honeycombApiHost, HONEYCOMB_DATASET: config.dataset };
  }

  private buildAggregator(config: ResolvedPipelineProps, secret: HoneycombSecret, budgetsJson: string): lambda.Function {
    const ledger = this.ledgerTable;
    const { function: fn, role } = new PipelineFunction(this, 'Aggregator', {
      name: 'aggregator',
      description: 'lambda-governance aggregator: governance stream → budget ledger and Honeycomb',
      runtime: config.runtime, architecture: config.architecture, logRetention: config.logRetention,
      memorySize: config.aggregatorMemorySize, timeout: config.aggregatorTimeout,
      environment: {
        ...this.honeycombEnvironment(config, secret),
        AGGREGATOR_DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        AGGREGATOR_SAMPLE_RATE: String(config.sampleRate),
        ...(ledger && {
          LEDGER_TABLE: ledger.tableName,
          GOVERNANCE_BUDGETS_FILE: BUDGETS_FILE,
          // Claims must outlive every replay the stream can make: its retention plus a day.
          AGGREGATOR_LEDGER_CLAIM_TTL_HOURS: String(config.streamRetention.toHours() + 24),
        }),
      },
      files: ledger ? { 'budgets.json': budgetsJson } : {},
    });
    grantHoneycombSecret(secret, config.honeycombSecretKey, role);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    if (ledger) {
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
        resources: [ledger.tableArn],
      }));
    }
    fn.addEventSource(new sources.KinesisEventSource(this.stream, {
      // Nothing written before the aggregator first ran is skipped.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: config.batchSize,
      maxBatchingWindow: config.maxBatchingWindow,
      parallelizationFactor: config.parallelizationFactor,
      retryAttempts: config.retryAttempts,
      maxRecordAge: config.maxRecordAge,
      bisectBatchOnError: config.bisectBatchOnError,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(this.failedBatchQueue),
    }));
    return fn;
  }

  private buildBudgetFunction(config: ResolvedPipelineProps, secret: HoneycombSecret, ledger: dynamodb.Table, budgetsJson: string): lambda.Function {
    const { function: fn, role } = new PipelineFunction(this, 'BudgetFunction', {
      name: 'budget',
      description: 'lambda-governance budget function: thresholds, markers, alerts, snapshots',
      runtime: config.runtime, architecture: config.architecture, logRetention: config.logRetention,
      memorySize: 256, timeout: BUDGET_FUNCTION_TIMEOUT,
      environment: {
        ...this.honeycombEnvironment(config, secret),
        LEDGER_TABLE: ledger.tableName,
        GOVERNANCE_BUDGETS_FILE: BUDGETS_FILE,
        BUDGET_MARKERS: String(config.budgetMarkers),
        BUDGET_ALERT_TOPIC_ARN: this.alertTopic.topicArn,
      },
      files: { 'budgets.json': budgetsJson },
    });
    grantHoneycombSecret(secret, config.honeycombSecretKey, role);
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [ledger.tableArn],
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
    new events.Rule(this, 'BudgetSchedule', {
      description: 'lambda-governance: runs the budget function',
      schedule: config.budgetSchedule ?? events.Schedule.rate(Duration.minutes(5)),
      // Runs are idempotent (docs/budgets.md), so a retried or late run is harmless; an older one is superseded.
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.minutes(10) })],
    });
    return fn;
  }
}
