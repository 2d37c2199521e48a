/**
 * The SQS stand-in through the real @aws-sdk/client-sqs (JSON protocol, MD5 validation on), including its
 * error shapes and fault injection.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, PurgeQueueCommand,
  QueueDoesNotExist, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { md5OfMessageAttributes, SqsStandIn } from '../../scripts/local/sqs.js';
import { rejection } from '../support/errors.js';

let sqs: SqsStandIn;
let client: SQSClient;
let queueCounter = 0;

beforeAll(async () => {
  sqs = await SqsStandIn.start();
  client = new SQSClient({
    endpoint: sqs.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
  });
});
afterAll(async () => {
  client.destroy();
  await sqs.stop();
});
afterEach(() => sqs.clearFaults());

async function newQueue(): Promise<{ name: string; url: string }> {
  const name = `queue-${++queueCounter}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
  return { name, url: QueueUrl! };
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

describe('SQS stand-in', () => {
  it('computes MD5OfMessageAttributes as SQS does', () => {
    // Known digests of SQS's attribute encoding.
    expect(md5OfMessageAttributes({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } })).toBe('19e27d4e946b072f3f58da80d94fd778');
    expect(md5OfMessageAttributes({ binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!').toString('base64') } })).toBe('31a92b15d92f8db860eda32aceb656c3');
    expect(md5OfMessageAttributes({
      attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
      binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!').toString('base64') },
    })).toBe('c932db14a896c663f83c260297d594ff');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it('sends, receives and deletes through the real client, with MD5s the client validates', async () => {
    const { name, url } = await newQueue();
    const body = 'héllo ✓ 🚀 {"k":1}';
    const attributes = {
      team: { DataType: 'String', StringValue: 'ai-eng' },
      cost: { DataType: 'Number', StringValue: '0.0123' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    const wireAttributes = { ...attributes, blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') } };
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(wireAttributes));

    const received = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages![0]!;
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: md5(body), MD5OfMessageAttributes: sent.MD5OfMessageAttributes, Attributes: { ApproximateReceiveCount: '1' } });
    expect(message.MessageAttributes?.team).toEqual({ DataType: 'String', StringValue: 'ai-eng' });
    expect(Buffer.from(message.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(sqs.messages(name)).toEqual([expect.objectContaining({ messageId: sent.MessageId, body, attributes: wireAttributes })]);

    const inFlight = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(inFlight.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
    const after = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(after.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', MaximumMessageSize: '1048576' });
    expect(sqs.messages(name)).toHaveLength(1); // the history keeps everything ever sent
  });

  it('honours MaxNumberOfMessages and VisibilityTimeout', async () => {
    const { url } = await newQueue();
    await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `a${i}`, MessageBody: `m${i}` })) }));
    await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 2 }, (_, i) => ({ Id: `b${i}`, MessageBody: `n${i}` })) }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3, VisibilityTimeout: 60 }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(['m0', 'm1', 'm2']);
    const rest = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(rest.Messages).toHaveLength(9);
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(again.Messages).toHaveLength(9); // visibility 0: visible again at once; the first 3 are still hidden
    const count = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(count.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('SendMessageBatch reports per-entry results and fails the entries failEntries picks', async () => {
    const { name, url } = await newQueue();
    sqs.failEntries((entry) => entry.id === 'e1' || entry.id === 'e3');
    const result = await client.send(new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, MessageBody: `body-${i}`, MessageAttributes: { i: { DataType: 'Number', StringValue: String(i) } } })),
    }));
    expect(result.Successful?.map((s) => s.Id)).toEqual(['e0', 'e2', 'e4']);
    for (const s of result.Successful ?? []) expect(s.MD5OfMessageBody).toBe(md5(`body-${s.Id!.slice(1)}`));
    expect(result.Failed).toEqual([
      { Id: 'e1', SenderFault: false, Code: 'InternalError', Message: expect.any(String) },
      { Id: 'e3', SenderFault: false, Code: 'InternalError', Message: expect.any(String) },
    ]);
    expect(sqs.messages(name).map((m) => [m.batchEntryId, m.body, m.attributes.i?.StringValue])).toEqual([['e0', 'body-0', '0'], ['e2', 'body-2', '2'], ['e4', 'body-4', '4']]);
  });

  it('rejects batches SQS rejects: too many entries, repeated ids, empty, over 1 MiB in total', async () => {
    const { url } = await newQueue();
    const send = (entries: { Id: string; MessageBody: string }[]) => client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    expect((await rejection(send(Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }))))).name).toBe('TooManyEntriesInBatchRequest');
    const repeated = await rejection(send([{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }]));
    expect([repeated.name, repeated.Code]).toEqual(['BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct']);
    expect((await rejection(send([]))).name).toBe('EmptyBatchRequest');
    const tooLong = await rejection(send([{ Id: 'a', MessageBody: 'x'.repeat(600_000) }, { Id: 'b', MessageBody: 'y'.repeat(600_000) }]));
    expect([tooLong.name, tooLong.$metadata.httpStatusCode]).toEqual(['BatchRequestTooLong', 400]);
    const atLimit = await send([{ Id: 'a', MessageBody: 'x'.repeat(524_288) }, { Id: 'b', MessageBody: 'y'.repeat(524_288) }]);
    expect(atLimit.Successful).toHaveLength(2);
  });

  it('takes a message of exactly 1 MiB (body plus attributes) and rejects one byte more', async () => {
    const { url } = await newQueue();
    const attributes = { k: { DataType: 'String', StringValue: 'v' } }; // 1 + 6 + 1 bytes
    const ok = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1_048_576 - 8), MessageAttributes: attributes }));
    expect(ok.MessageId).toBeTruthy();
    const tooBig = await rejection(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1_048_576 - 7), MessageAttributes: attributes })));
    expect([tooBig.name, tooBig.Code, tooBig.$fault, tooBig.message]).toEqual(['InvalidParameterValue', 'InvalidParameterValue', 'client', 'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.']);
  });

  it('answers QueueDoesNotExist with the shape SQS uses', async () => {
    const byName = await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
    expect(byName).toBeInstanceOf(QueueDoesNotExist);
    expect([byName.name, byName.Code, byName.$fault, byName.$metadata.httpStatusCode]).toEqual(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'client', 400]);
    const byUrl = await rejection(client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('no-such-queue'), MessageBody: 'x' })));
    expect(byUrl).toBeInstanceOf(QueueDoesNotExist);
    const { name, url } = await newQueue();
    expect((await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(url);
  });

  it('failRequests fails whole requests with a 500 that the client retries', async () => {
    const { url } = await newQueue();
    sqs.failRequests(2, 'InternalError');
    const recovered = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after two faults' }));
    expect(recovered.$metadata.attempts).toBe(3);
    sqs.failRequests(3, 'InternalError', { operations: ['SendMessageBatch'] });
    const failed = await rejection(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }] })));
    expect([failed.name, failed.$fault, failed.$metadata.httpStatusCode, failed.$metadata.attempts]).toEqual(['InternalError', 'server', 500, 3]);
    expect(sqs.calls.slice(-3).map((c) => [c.operation, c.status])).toEqual([['SendMessageBatch', 500], ['SendMessageBatch', 500], ['SendMessageBatch', 500]]);
  });

  it('PurgeQueue empties the queue, once a minute', async () => {
    const { url } = await newQueue();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client.send(new PurgeQueueCommand({ QueueUrl: url }));
    const count = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(count.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect((await rejection(client.send(new PurgeQueueCommand({ QueueUrl: url })))).name).toBe('PurgeQueueInProgress');
  });

  it('CreateQueue is idempotent for the same attributes and refuses different ones', async () => {
    const first = await client.send(new CreateQueueCommand({ QueueName: 'idempotent', Attributes: { VisibilityTimeout: '45' } }));
    const second = await client.send(new CreateQueueCommand({ QueueName: 'idempotent', Attributes: { VisibilityTimeout: '45' } }));
    expect(second.QueueUrl).toBe(first.QueueUrl);
    expect((await rejection(client.send(new CreateQueueCommand({ QueueName: 'idempotent', Attributes: { VisibilityTimeout: '10' } })))).name).toBe('QueueNameExists');
  });
});
