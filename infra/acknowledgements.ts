/**
 * The cdk-nag findings the pipeline acknowledges, each on the one resource it concerns and with its reason.
 * They travel with the construct, so a user's own AwsSolutions checks see them too.
 */
import { Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

export interface AcknowledgedResources {
  readonly stream: IConstruct;
  readonly deadLetterQueue: IConstruct;
  readonly failedBatchQueue: IConstruct;
  readonly functions: lambda.Function[];
  readonly runtime: lambda.Runtime;
}

export function acknowledgePipelineFindings(resources: AcknowledgedResources): void {
  acknowledge(resources.stream, 'KDS3', 'The stream carries customer and user ids, so who may read it is controlled by our own key policy. The same customer-managed key encrypts the alert topic, which CloudWatch alarms can only publish to with a customer-managed key. Kinesis reuses data keys for minutes, so the KMS calls are few.');
  acknowledge(resources.deadLetterQueue, 'SQS3', 'This queue is the dead-letter queue: the aggregator sends it the records that can never be delivered, each with its reason. A queue behind it would only move them again.');
  acknowledge(resources.failedBatchQueue, 'SQS3', 'This queue is the event source mapping\'s on-failure destination, a dead-letter queue for batch ranges that ran out of retries or age. A queue behind it would only move them again.');
  if (resources.runtime.runtimeEquals(lambda.Runtime.NODEJS_22_X)) {
    for (const fn of resources.functions) {
      acknowledge(fn, 'L1', 'nodejs22.x was chosen with the pipeline\'s runtime prop; it is supported (nodejs24.x is the default).');
    }
  }
}
