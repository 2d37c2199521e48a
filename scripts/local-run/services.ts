/**
 * The AWS services and Honeycomb the local run needs, all on 127.0.0.1 and in this process: kinesalite,
 * dynalite, and the Secrets Manager, SQS, SNS and Honeycomb stand-ins; then the resources the CDK stack
 * would create: the stream, the ledger table, the dead-letter queue, the alert topic, the Honeycomb secret.
 */
import { LocalDynamoDB } from '../local/dynamodb.js';
import { HoneycombStandIn } from '../local/honeycomb/index.js';
import { LocalKinesis } from '../local/kinesis.js';
import { SecretsManagerStandIn } from '../local/secrets-manager.js';
import { SnsStandIn } from '../local/sns.js';
import { SqsStandIn } from '../local/sqs.js';
import type { HoneycombTarget } from './options.js';

export const RESOURCE_NAMES = {
  stream: 'governance-local',
  table: 'governance-ledger-local',
  queue: 'governance-dead-letters-local',
  topic: 'governance-budget-alerts-local',
  secret: 'lambda-governance/honeycomb',
} as const;

/** Shards of the local stream: two, so records are aggregated in parallel as they would be in AWS. */
export const STREAM_SHARDS = 2;

export class LocalServices {
  public readonly topicArn: string;
  public readonly queueUrl: string;

  private constructor(
    public readonly kinesis: LocalKinesis, public readonly dynamo: LocalDynamoDB, public readonly secrets: SecretsManagerStandIn,
    public readonly sqs: SqsStandIn, public readonly sns: SnsStandIn, public readonly honeycomb: HoneycombStandIn | undefined,
  ) {
    this.queueUrl = sqs.createQueue(RESOURCE_NAMES.queue);
    this.topicArn = sns.createTopic(RESOURCE_NAMES.topic);
  }

  /** Starts every service; if one fails to start, those already up are stopped. */
  public static async start(target: HoneycombTarget): Promise<LocalServices> {
    const started = await Promise.allSettled([
      LocalKinesis.start(), LocalDynamoDB.start(), SecretsManagerStandIn.start(), SqsStandIn.start(), SnsStandIn.start(),
      target.kind === 'stand-in' ? HoneycombStandIn.start() : Promise.resolve(undefined),
    ] as const);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value?.stop() : undefined)));
      throw new Error(`a local service did not start: ${(failed.reason as Error).message}`, { cause: failed.reason });
    }
    const [kinesis, dynamo, secrets, sqs, sns, honeycomb] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
      LocalKinesis, LocalDynamoDB, SecretsManagerStandIn, SqsStandIn, SnsStandIn, HoneycombStandIn | undefined,
    ];
    const services = new LocalServices(kinesis, dynamo, secrets, sqs, sns, honeycomb);
    try {
      await kinesis.createStream(RESOURCE_NAMES.stream, STREAM_SHARDS);
      await dynamo.createLedgerTable(RESOURCE_NAMES.table);
      if (honeycomb) {
        honeycomb.addDataset(target.dataset);
        secrets.put(RESOURCE_NAMES.secret, JSON.stringify({ ingestKey: honeycomb.ingestKey, configKey: honeycomb.configKey }));
      } else if (target.kind === 'honeycomb' && target.apiKey) {
        // The functions read the key from a secret, as deployed; the local secret holds the key given.
        secrets.put(RESOURCE_NAMES.secret, JSON.stringify({ ingestKey: target.apiKey, ...(target.configKey && { configKey: target.configKey }) }));
      }
    } catch (error) {
      await services.stop();
      throw error;
    }
    return services;
  }

  /** The endpoints the AWS SDK clients of every function use (AWS_ENDPOINT_URL_*). */
  public endpoints(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_KINESIS: this.kinesis.url, AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.url, AWS_ENDPOINT_URL_SQS: this.sqs.url,
      AWS_ENDPOINT_URL_SNS: this.sns.endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: this.secrets.url,
    };
  }

  public async stop(): Promise<void> {
    await Promise.allSettled([this.kinesis.stop(), this.dynamo.stop(), this.secrets.stop(), this.sqs.stop(), this.sns.stop(), this.honeycomb?.stop()]);
  }
}
