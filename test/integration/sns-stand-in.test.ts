/**
 * The SNS stand-in through the real @aws-sdk/client-sns (AWS Query protocol): publishing, validation and
 * error mapping, FIFO deduplication on a controllable clock, HTTP delivery and fault injection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTopicCommand, InvalidParameterException, ListTopicsCommand, NotFoundException, PublishCommand, SNSClient, SubscribeCommand,
} from '@aws-sdk/client-sns';
import { SNS_MAX_MESSAGE_BYTES, SnsStandIn } from '../../scripts/local/sns.js';
import { rejection } from '../support/errors.js';

let sns: SnsStandIn;
let client: SNSClient;
let now = Date.parse('2026-01-01T00:00:00Z');
let topicCounter = 0;

const clientFor = (maxAttempts?: number): SNSClient => new SNSClient({
  endpoint: sns.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, ...(maxAttempts && { maxAttempts }),
});

beforeAll(async () => {
  sns = await SnsStandIn.start({ clock: () => now });
  client = clientFor();
});
afterAll(async () => {
  client.destroy();
  await sns.stop();
});
afterEach(() => sns.clearFaults());

async function newTopic(fifo = false, attributes: Record<string, string> = {}): Promise<{ name: string; arn: string }> {
  const name = `topic-${++topicCounter}${fifo ? '.fifo' : ''}`;
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: name, Attributes: { ...(fifo && { FifoTopic: 'true' }), ...attributes } }));
  return { name, arn: TopicArn! };
}

/** A local HTTP endpoint that records requests and answers, once `gate` resolves, the next of `statuses` (then 200). */
async function receiver(statuses: number[] = [], gate: Promise<void> = Promise.resolve()): Promise<{ url: string; requests: { headers: http.IncomingHttpHeaders; body: string }[]; close: () => Promise<void> }> {
  const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      void gate.then(() => res.writeHead(statuses.shift() ?? 200).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`, requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('SNS stand-in', () => {
  it('creates topics idempotently, lists them and rejects the same name with different attributes', async () => {
    const { name, arn } = await newTopic();
    expect(arn).toBe(`arn:aws:sns:us-east-1:123456789012:${name}`);
    expect((await client.send(new CreateTopicCommand({ Name: name }))).TopicArn).toBe(arn);
    const { Topics } = await client.send(new ListTopicsCommand({}));
    expect(Topics?.map((t) => t.TopicArn)).toContain(arn);
    const e = await rejection(client.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: 'other' } })));
    expect(e).toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new CreateTopicCommand({ Name: 'no-suffix', Attributes: { FifoTopic: 'true' } }))).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('publishes and records the message, subject and attributes (UTF-8 and binary intact)', async () => {
    const { name, arn } = await newTopic();
    const message = 'héllo & <world> ✓ 🚀 a+b=c';
    const out = await client.send(new PublishCommand({
      TopicArn: arn, Message: message, Subject: 'Budget alert',
      MessageAttributes: {
        team: { DataType: 'String', StringValue: 'ai-eng' },
        cost: { DataType: 'Number', StringValue: '0.0123' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
      },
    }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.SequenceNumber).toBeUndefined();
    expect(sns.messages(name)).toEqual([{
      topicArn: arn, topicName: name, messageId: out.MessageId, subject: 'Budget alert', message, publishedAt: now,
      attributes: {
        team: { DataType: 'String', StringValue: 'ai-eng' },
        cost: { DataType: 'Number', StringValue: '0.0123' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
      },
    }]);
  });

  it('maps an unknown topic to NotFoundException and invalid input to InvalidParameterException', async () => {
    const { name, arn } = await newTopic();
    const missing = await rejection(client.send(new PublishCommand({ TopicArn: `${arn}-nope`, Message: 'x' })));
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(missing).toMatchObject({ name: 'NotFoundException', message: 'Topic does not exist', $fault: 'client', $metadata: { httpStatusCode: 404 } });

    const tooLarge = await rejection(client.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(SNS_MAX_MESSAGE_BYTES - 7), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } })));
    expect(tooLarge).toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Message too long', $metadata: { httpStatusCode: 400 } });
    // The attribute counts 8 bytes (name 1 + type 6 + value 1): 8 bytes under the limit plus it is exactly the limit, accepted.
    await client.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(SNS_MAX_MESSAGE_BYTES - 8), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }));

    await expect(client.send(new PublishCommand({ TopicArn: arn, Message: '' }))).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Empty message' });
    await expect(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', Subject: 's'.repeat(101) }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageDeduplicationId: 'd' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }))).rejects.toBeInstanceOf(InvalidParameterException);
    expect(sns.messages(name)).toHaveLength(1);
  });

  it('deduplicates FIFO publications within 5 minutes and accepts the id again afterwards', async () => {
    const { name, arn } = await newTopic(true);
    const publish = (message: string) => client.send(new PublishCommand({ TopicArn: arn, Message: message, MessageGroupId: 'g1', MessageDeduplicationId: 'dedup-1' }));
    const first = await publish('one');
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    now += 4 * 60_000 + 59_999;
    const repeat = await publish('one again');
    expect(repeat).toMatchObject({ MessageId: first.MessageId, SequenceNumber: first.SequenceNumber });
    expect(sns.messages(name).map((m) => m.message)).toEqual(['one']);
    now += 1;
    const later = await publish('two');
    expect(later.MessageId).not.toBe(first.MessageId);
    expect(BigInt(later.SequenceNumber!)).toBeGreaterThan(BigInt(first.SequenceNumber!));
    expect(sns.messages(name).map((m) => [m.message, m.groupId, m.dedupId])).toEqual([['one', 'g1', 'dedup-1'], ['two', 'g1', 'dedup-1']]);
  });

  it('requires a MessageGroupId, and a deduplication id unless content-based deduplication is on', async () => {
    const { name, arn } = await newTopic(true);
    const noGroup = await rejection(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageDeduplicationId: 'd' })));
    expect(noGroup).toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics' });
    await expect(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageGroupId: 'g' }))).rejects.toBeInstanceOf(InvalidParameterException);
    expect(sns.messages(name)).toEqual([]);

    const content = await newTopic(true, { ContentBasedDeduplication: 'true' });
    const a = await client.send(new PublishCommand({ TopicArn: content.arn, Message: 'same body', MessageGroupId: 'g' }));
    const b = await client.send(new PublishCommand({ TopicArn: content.arn, Message: 'same body', MessageGroupId: 'g' }));
    expect(b.MessageId).toBe(a.MessageId);
    expect(sns.messages(content.name)).toHaveLength(1);
  });

  it('delivers the Notification JSON to an http subscription with SNS headers, without blocking Publish', async () => {
    let release!: () => void;
    const endpoint = await receiver([], new Promise<void>((resolve) => (release = resolve)));
    try {
      const { arn } = await newTopic();
      const { SubscriptionArn } = await client.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: endpoint.url, ReturnSubscriptionArn: true }));
      expect(SubscriptionArn).toMatch(new RegExp(`^${arn}:[0-9a-f-]{36}$`));
      const { MessageId } = await client.send(new PublishCommand({
        TopicArn: arn, Message: '{"spend":1.5}', Subject: 'Spend', MessageGroupId: 'ignored-for-http',
        MessageAttributes: { team: { DataType: 'String', StringValue: 'ai-eng' }, blob: { DataType: 'Binary', BinaryValue: new Uint8Array([7]) } },
      }));
      // Publish was answered while the endpoint still holds the delivery open.
      expect(sns.deliveries().filter((d) => d.messageId === MessageId)).toEqual([]);
      release();
      await sns.deliveriesSettled();
      expect(endpoint.requests).toHaveLength(1);
      const { headers, body } = endpoint.requests[0]!;
      expect(headers).toMatchObject({
        'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-message-id': MessageId,
        'x-amz-sns-topic-arn': arn, 'x-amz-sns-subscription-arn': SubscriptionArn,
      });
      expect(JSON.parse(body)).toEqual({
        Type: 'Notification', MessageId, TopicArn: arn, Subject: 'Spend', Message: '{"spend":1.5}', Timestamp: new Date(now).toISOString(),
        SignatureVersion: '1', Signature: 'stand-in', SigningCertURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.+\.pem$/),
        UnsubscribeURL: `${sns.endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(SubscriptionArn!)}`,
        MessageAttributes: { team: { Type: 'String', Value: 'ai-eng' }, blob: { Type: 'Binary', Value: 'Bw==' } },
      });
      expect(sns.deliveries().filter((d) => d.messageId === MessageId)).toMatchObject([{ attempt: 1, status: 200, ok: true }]);
    } finally {
      await endpoint.close();
    }
  });

  it('retries a failing endpoint on 5xx with backoff but not on 4xx', async () => {
    const endpoint = await receiver([503, 500, 200, 404]);
    try {
      const { arn } = await newTopic();
      await client.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: endpoint.url }));
      const first = await client.send(new PublishCommand({ TopicArn: arn, Message: 'retry me' }));
      await sns.deliveriesSettled();
      const second = await client.send(new PublishCommand({ TopicArn: arn, Message: 'rejected' }));
      await sns.deliveriesSettled();
      const attempts = sns.deliveries().filter((d) => d.messageId === first.MessageId || d.messageId === second.MessageId);
      expect(attempts.map((d) => [d.messageId, d.attempt, d.status, d.ok])).toEqual([
        [first.MessageId, 1, 503, false], [first.MessageId, 2, 500, false], [first.MessageId, 3, 200, true], [second.MessageId, 1, 404, false],
      ]);
      expect(endpoint.requests.map((r) => JSON.parse(r.body).Message)).toEqual(['retry me', 'retry me', 'retry me', 'rejected']);
    } finally {
      await endpoint.close();
    }
  });

  it('delivers the bare message to a raw subscription', async () => {
    const endpoint = await receiver();
    try {
      const { arn } = await newTopic();
      await client.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: endpoint.url, Attributes: { RawMessageDelivery: 'true' } }));
      await client.send(new PublishCommand({ TopicArn: arn, Message: 'just this', Subject: 'dropped' }));
      await sns.deliveriesSettled();
      expect(endpoint.requests.map((r) => [r.body, r.headers['x-amz-sns-rawdelivery'], r.headers['x-amz-sns-message-type']])).toEqual([['just this', 'true', 'Notification']]);
    } finally {
      await endpoint.close();
    }
  });

  it('rejects http subscriptions on FIFO topics and to unknown topics', async () => {
    const { arn } = await newTopic(true);
    await expect(client.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: 'http://127.0.0.1:1/x' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new SubscribeCommand({ TopicArn: `${arn}x`, Protocol: 'http', Endpoint: 'http://127.0.0.1:1/x' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('fails injected requests: the SDK retries one 5xx transparently and gives up after maxAttempts', async () => {
    const { name, arn } = await newTopic();
    sns.failRequests(1);
    const ok = await client.send(new PublishCommand({ TopicArn: arn, Message: 'after one failure' }));
    expect(ok.$metadata.attempts).toBe(2);
    expect(sns.calls.slice(-2)).toEqual([{ action: 'Publish', status: 500 }, { action: 'Publish', status: 200 }]);
    sns.failRequests(2);
    expect((await client.send(new PublishCommand({ TopicArn: arn, Message: 'after two failures' }))).$metadata.attempts).toBe(3);

    const impatient = clientFor(2);
    try {
      sns.failRequests(5, 503, 'ServiceUnavailable');
      const e = await rejection(impatient.send(new PublishCommand({ TopicArn: arn, Message: 'never stored' })));
      expect(e).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503, attempts: 2 } });
    } finally {
      impatient.destroy();
    }
    expect(sns.messages(name).map((m) => m.message)).toEqual(['after one failure', 'after two failures']);
  });
});
