/**
 * The on-call channel: one SNS message per alert. Subscribers can drop a repeat by the alertId attribute; on
 * a FIFO topic SNS itself drops it (the deduplication id is the alert's).
 */
import { createHash } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { abortAfter } from '../../common/async.js';

export interface AlertMessage {
  alertId: string;
  subject: string;
  text: string;
  details: Record<string, string | number>;
  budgetId: string;
}

export class AlertNotifier {
  private readonly client: SNSClient;
  private readonly fifo: boolean;

  public constructor(private readonly topicArn: string, region: string | undefined) {
    this.client = new SNSClient({ ...(region && { region }), maxAttempts: 3 });
    this.fifo = topicArn.endsWith('.fifo');
  }

  /** Returns the SNS message id. */
  public async publish(alert: AlertMessage, deadline: number): Promise<string> {
    const request = abortAfter(deadline - Date.now());
    try {
      const out = await this.client.send(new PublishCommand({
        TopicArn: this.topicArn,
        Subject: alert.subject.slice(0, 100),
        Message: JSON.stringify({ text: alert.text, ...alert.details }),
        MessageAttributes: {
          alertId: { DataType: 'String', StringValue: alert.alertId },
          budgetId: { DataType: 'String', StringValue: alert.budgetId },
        },
        ...(this.fifo && {
          MessageGroupId: alert.budgetId,
          MessageDeduplicationId: createHash('sha256').update(alert.alertId).digest('hex').slice(0, 64),
        }),
      }), { abortSignal: request.signal });
      return out.MessageId ?? '';
    } finally {
      request.cancel();
    }
  }
}
