/**
 * An SQS stand-in for local runs and tests (no real local SQS runs here). It speaks the AWS JSON 1.0
 * protocol @aws-sdk/client-sqs uses (POST /, X-Amz-Target: AmazonSQS.<Operation>, content-type
 * application/x-amz-json-1.0) and answers errors the way SQS does: a JSON body with `__type` and `message`
 * plus the `x-amzn-query-error: <query code>;<Sender|Receiver>` header the SDK's query-compatible error
 * handling reads.
 *
 * Operations: CreateQueue, GetQueueUrl, SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage,
 * GetQueueAttributes, PurgeQueue. Standard queues only (no FIFO ordering or deduplication).
 *
 * MD5OfMessageBody is the MD5 of the body's UTF-8 bytes (the SDK checks it on SendMessage,
 * SendMessageBatch and ReceiveMessage). MD5OfMessageAttributes follows SQS's documented encoding: the
 * attributes sorted by name, each as length-prefixed name, length-prefixed data type, one transport byte
 * (1 String/Number, 2 Binary) and the length-prefixed value; lengths are 4-byte big-endian.
 *
 * Limits: a message (body plus attribute names, types and values) up to 1,048,576 bytes (SQS's limit
 * since 2025), up to 10 attributes, SendMessageBatch up to 10 entries with distinct ids and a total
 * payload up to 1,048,576 bytes.
 *
 * Test helpers: messages(queue) lists everything ever accepted, in order; failEntries(...) fails chosen
 * SendMessageBatch entries (SenderFault false) as SQS does for per-entry server faults; failRequests(...)
 * fails whole requests with a 5xx (the SDK retries those by itself, as it would against SQS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';

export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
export const SQS_MAX_BATCH_ENTRIES = 10;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A message attribute as the JSON protocol carries it (BinaryValue is base64). */
export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A message the stand-in accepted, kept forever for assertions (receiving or deleting does not remove it). */
export interface SentSqsMessage {
  queueName: string;
  messageId: string;
  body: string;
  attributes: Record<string, SqsMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  delaySeconds: number;
  sentAt: number;
  /** The SendMessageBatch entry id, when it came in a batch. */
  batchEntryId?: string;
}

/** What failEntries' predicate sees for each SendMessageBatch entry. */
export interface SqsBatchEntryInfo {
  queueName: string;
  id: string;
  body: string;
  attributes: Record<string, SqsMessageAttribute>;
  /** Position of the entry in its request. */
  index: number;
  /** Which SendMessageBatch call this is, counting from 0 across the stand-in's life. */
  callIndex: number;
}

interface StoredMessage {
  sent: SentSqsMessage;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandles: Set<string>;
}

interface Queue {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
  createdAt: number;
  messages: StoredMessage[];
  history: SentSqsMessage[];
  lastPurgeAt?: number;
}

class SqsError extends Error {
  public constructor(
    public readonly type: string, public readonly queryCode: string, message: string,
    public readonly status = 400, public readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const queueDoesNotExist = (): SqsError => new SqsError('com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
const invalidParameter = (reason: string): SqsError => new SqsError('com.amazon.coral.service#InvalidParameterValueException', 'InvalidParameterValue', `One or more parameters are invalid. Reason: ${reason}`);
const missingParameter = (name: string): SqsError => new SqsError('com.amazon.coral.service#MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`);

/** MD5 (hex) of the UTF-8 bytes of a message body, as SQS computes MD5OfMessageBody. */
export function md5OfMessageBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/** MD5 (hex) of message attributes in SQS's encoding; undefined for no attributes (SQS then omits it). */
export function md5OfMessageAttributes(attributes: Record<string, SqsMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of names) {
    const attribute = attributes[name]!;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    const binary = attribute.DataType.startsWith('Binary');
    hash.update(Buffer.from([binary ? 2 : 1]));
    lengthPrefixed(binary ? Buffer.from(attribute.BinaryValue ?? '', 'base64') : Buffer.from(attribute.StringValue ?? '', 'utf8'));
  }
  return hash.digest('hex');
}

/** Bytes SQS counts toward the message size limit: the body plus each attribute's name, type and value. */
export function sqsMessageSize(body: string, attributes: Record<string, SqsMessageAttribute> = {}): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8')
      + (a.DataType.startsWith('Binary') ? Buffer.from(a.BinaryValue ?? '', 'base64').length : Buffer.byteLength(a.StringValue ?? '', 'utf8'));
  }
  return size;
}

// Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30', MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES), MessageRetentionPeriod: '345600',
  DelaySeconds: '0', ReceiveMessageWaitTimeSeconds: '0', SqsManagedSseEnabled: 'true',
};

export class SqsStandIn {
  private readonly queues = new Map<string, Queue>();
  private readonly server: http.Server;
  private entryFault?: { predicate: (entry: SqsBatchEntryInfo) => boolean; code: string };
  private requestFault?: { remaining: number; code: string; status: number; operations?: string[] };
  private batchCalls = 0;
  /** Every request, in order, with its operation and HTTP status. */
  public readonly calls: { operation: string; queueName?: string; status: number }[] = [];
  /** SQS allows one PurgeQueue per queue every 60 s; tests that purge repeatedly may lower this. */
  public purgeCooldownMs = 60_000;

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  public static async start(): Promise<SqsStandIn> {
    const standIn = new SqsStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public queueUrl(name: string): string {
    return `${this.url}/${ACCOUNT}/${name}`;
  }

  /** Creates a queue directly (same as CreateQueue); returns its URL. */
  public createQueue(name: string, attributes: Record<string, string> = {}): string {
    return this.create(name, attributes).url;
  }

  /** Everything ever accepted on the queue, in order, with body and attributes. Throws for an unknown queue. */
  public messages(queueName: string): SentSqsMessage[] {
    const queue = this.queues.get(queueName);
    if (!queue) throw new Error(`no queue ${queueName}`);
    return [...queue.history];
  }

  /**
   * Fails the SendMessageBatch entries `predicate` picks with a per-entry server fault (SenderFault false,
   * `code`); they are not enqueued. Stays in force until failEntries(undefined) or clearFaults().
   */
  public failEntries(predicate: ((entry: SqsBatchEntryInfo) => boolean) | undefined, code = 'InternalError'): void {
    this.entryFault = predicate && { predicate, code };
  }

  /** Fails the next `n` requests (of `operations`, when given) whole, with `status` and error code `code`. */
  public failRequests(n: number, code = 'InternalError', options: { status?: number; operations?: string[] } = {}): void {
    this.requestFault = n > 0 ? { remaining: n, code, status: options.status ?? 500, ...(options.operations && { operations: options.operations }) } : undefined;
  }

  public clearFaults(): void {
    this.entryFault = undefined;
    this.requestFault = undefined;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private create(name: string, attributes: Record<string, string>): Queue {
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameter('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const existing = this.queues.get(name);
    if (existing) {
      const differs = Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v);
      if (differs) throw new SqsError('com.amazonaws.sqs#QueueNameExists', 'QueueAlreadyExists', 'A queue already exists with the same name and a different value for attribute(s)');
      return existing;
    }
    const queue: Queue = {
      name, url: this.queueUrl(name), arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      attributes: { ...DEFAULT_ATTRIBUTES, ...attributes }, createdAt: Date.now(), messages: [], history: [],
    };
    this.queues.set(name, queue);
    return queue;
  }

  private queueFor(queueUrl: unknown): Queue {
    if (typeof queueUrl !== 'string' || queueUrl === '') throw missingParameter('QueueUrl');
    const name = queueUrl.replace(/\/+$/, '').split('/').pop() ?? '';
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
      const requestId = randomUUID();
      let queueName: string | undefined;
      const send = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
        this.calls.push({ operation, ...(queueName !== undefined && { queueName }), status });
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, ...extra });
        res.end(JSON.stringify(body));
      };
      const fail = (e: SqsError): void => send(e.status, { __type: e.type, message: e.message }, { 'x-amzn-query-error': `${e.queryCode};${e.fault}` });
      void (async () => {
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          return fail(new SqsError('com.amazon.coral.service#SerializationException', 'SerializationException', 'body is not JSON'));
        }
        if (typeof input.QueueUrl === 'string') queueName = input.QueueUrl.split('/').pop();
        else if (typeof input.QueueName === 'string') queueName = input.QueueName;
        const fault = this.requestFault;
        if (fault && (!fault.operations || fault.operations.includes(operation))) {
          if (--fault.remaining <= 0) this.requestFault = undefined;
          return fail(new SqsError(`com.amazonaws.sqs#${fault.code}`, fault.code, 'We encountered an internal error. Please try again. (injected)', fault.status, 'Receiver'));
        }
        try {
          send(200, await this.dispatch(operation, input));
        } catch (e) {
          if (e instanceof SqsError) return fail(e);
          fail(new SqsError('com.amazonaws.sqs#InternalError', 'InternalError', e instanceof Error ? e.message : String(e), 500, 'Receiver'));
        }
      })();
    });
  }

  private async dispatch(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateQueue': {
        if (typeof input.QueueName !== 'string') throw missingParameter('QueueName');
        return { QueueUrl: this.create(input.QueueName, (input.Attributes ?? {}) as Record<string, string>).url };
      }
      case 'GetQueueUrl': {
        if (typeof input.QueueName !== 'string') throw missingParameter('QueueName');
        const queue = this.queues.get(input.QueueName);
        if (!queue) throw queueDoesNotExist();
        return { QueueUrl: queue.url };
      }
      case 'SendMessage': {
        const queue = this.queueFor(input.QueueUrl);
        const attributes = this.validateMessage(input.MessageBody, input.MessageAttributes);
        const sent = this.enqueue(queue, input.MessageBody as string, attributes, input.DelaySeconds);
        return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, ...(sent.md5OfMessageAttributes && { MD5OfMessageAttributes: sent.md5OfMessageAttributes }) };
      }
      case 'SendMessageBatch':
        return this.sendBatch(this.queueFor(input.QueueUrl), input.Entries);
      case 'ReceiveMessage':
        return this.receive(this.queueFor(input.QueueUrl), input);
      case 'DeleteMessage': {
        const queue = this.queueFor(input.QueueUrl);
        const handle = input.ReceiptHandle;
        if (typeof handle !== 'string' || handle === '') throw missingParameter('ReceiptHandle');
        if (!handle.startsWith(`${queue.name}:`)) throw new SqsError('com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404);
        // A handle SQS issued for a message that is already gone deletes nothing and succeeds.
        queue.messages = queue.messages.filter((m) => !m.receiptHandles.has(handle));
        return {};
      }
      case 'GetQueueAttributes':
        return { Attributes: this.attributesOf(this.queueFor(input.QueueUrl), input.AttributeNames) };
      case 'PurgeQueue': {
        const queue = this.queueFor(input.QueueUrl);
        const now = Date.now();
        if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < this.purgeCooldownMs) {
          throw new SqsError('com.amazonaws.sqs#PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`, 403);
        }
        queue.lastPurgeAt = now;
        queue.messages = [];
        return {};
      }
      default:
        throw new SqsError('com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', `unsupported operation ${operation}`);
    }
  }

  /** Validates a body and its attributes; returns the attributes (empty object when none). */
  private validateMessage(body: unknown, rawAttributes: unknown): Record<string, SqsMessageAttribute> {
    if (typeof body !== 'string' || body.length === 0) throw missingParameter('MessageBody');
    if (INVALID_CHARACTER.test(body)) {
      throw new SqsError('com.amazonaws.sqs#InvalidMessageContents', 'InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
    }
    const attributes = (rawAttributes ?? {}) as Record<string, SqsMessageAttribute>;
    const names = Object.keys(attributes);
    if (names.length > 10) throw invalidParameter(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
    for (const name of names) {
      const a = attributes[name]!;
      if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name) || name.includes('..') || name.startsWith('.') || name.endsWith('.')) {
        throw invalidParameter(`Message (user) attribute name '${name}' is invalid.`);
      }
      const kind = /^(String|Number|Binary)(\..+)?$/.exec(a?.DataType ?? '')?.[1];
      if (!kind) throw invalidParameter(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
      const value = kind === 'Binary' ? a.BinaryValue : a.StringValue;
      if (value === undefined || value === '') throw invalidParameter(`Message (user) attribute '${name}' must contain a non-empty value of type '${kind}'.`);
      if (kind === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    const size = sqsMessageSize(body, attributes);
    if (size > SQS_MAX_MESSAGE_BYTES) throw invalidParameter(`Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`);
    return attributes;
  }

  private enqueue(queue: Queue, body: string, attributes: Record<string, SqsMessageAttribute>, delay: unknown, batchEntryId?: string): SentSqsMessage {
    const delaySeconds = typeof delay === 'number' ? delay : Number(queue.attributes.DelaySeconds ?? 0);
    if (!(delaySeconds >= 0 && delaySeconds <= 900)) throw invalidParameter('Value for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.');
    const now = Date.now();
    const md5Attributes = md5OfMessageAttributes(attributes);
    const sent: SentSqsMessage = {
      queueName: queue.name, messageId: randomUUID(), body, attributes, md5OfBody: md5OfMessageBody(body),
      ...(md5Attributes && { md5OfMessageAttributes: md5Attributes }), delaySeconds, sentAt: now,
      ...(batchEntryId !== undefined && { batchEntryId }),
    };
    queue.history.push(sent);
    queue.messages.push({ sent, visibleAt: now + delaySeconds * 1000, receiveCount: 0, receiptHandles: new Set() });
    return sent;
  }

  private sendBatch(queue: Queue, rawEntries: unknown): unknown {
    const entries = (Array.isArray(rawEntries) ? rawEntries : []) as { Id?: unknown; MessageBody?: unknown; MessageAttributes?: unknown; DelaySeconds?: unknown }[];
    if (entries.length === 0) throw new SqsError('com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    if (entries.length > SQS_MAX_BATCH_ENTRIES) {
      throw new SqsError('com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${SQS_MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
    }
    const ids = new Set<string>();
    for (const entry of entries) {
      if (typeof entry.Id !== 'string' || !BATCH_ENTRY_ID.test(entry.Id)) {
        throw new SqsError('com.amazonaws.sqs#InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
      }
      if (ids.has(entry.Id)) throw new SqsError('com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${entry.Id} repeated.`);
      ids.add(entry.Id);
    }
    const total = entries.reduce((sum, e) => sum + (typeof e.MessageBody === 'string' ? sqsMessageSize(e.MessageBody, (e.MessageAttributes ?? {}) as Record<string, SqsMessageAttribute>) : 0), 0);
    if (total > SQS_MAX_MESSAGE_BYTES) {
      throw new SqsError('com.amazonaws.sqs#BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`);
    }
    const callIndex = this.batchCalls++;
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    entries.forEach((entry, index) => {
      const id = entry.Id as string;
      try {
        const attributes = this.validateMessage(entry.MessageBody, entry.MessageAttributes);
        if (this.entryFault?.predicate({ queueName: queue.name, id, body: entry.MessageBody as string, attributes, index, callIndex })) {
          Failed.push({ Id: id, SenderFault: false, Code: this.entryFault.code, Message: 'We encountered an internal error. Please try again. (injected)' });
          return;
        }
        const sent = this.enqueue(queue, entry.MessageBody as string, attributes, entry.DelaySeconds, id);
        Successful.push({ Id: id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, ...(sent.md5OfMessageAttributes && { MD5OfMessageAttributes: sent.md5OfMessageAttributes }) });
      } catch (e) {
        if (!(e instanceof SqsError)) throw e;
        Failed.push({ Id: id, SenderFault: true, Code: e.queryCode, Message: e.message });
      }
    });
    return { Successful, Failed };
  }

  private async receive(queue: Queue, input: Record<string, unknown>): Promise<unknown> {
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!(Number.isInteger(max) && max >= 1 && max <= 10)) throw invalidParameter(`Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const visibility = input.VisibilityTimeout === undefined ? Number(queue.attributes.VisibilityTimeout) : Number(input.VisibilityTimeout);
    if (!(visibility >= 0 && visibility <= 43_200)) throw invalidParameter('Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.');
    const wait = input.WaitTimeSeconds === undefined ? Number(queue.attributes.ReceiveMessageWaitTimeSeconds) : Number(input.WaitTimeSeconds);
    if (!(wait >= 0 && wait <= 20)) throw invalidParameter('Value for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.');
    const deadline = Date.now() + wait * 1000;
    let ready = queue.messages.filter((m) => m.visibleAt <= Date.now());
    while (ready.length === 0 && Date.now() < deadline && this.server.listening) {
      await new Promise((r) => setTimeout(r, 10));
      ready = queue.messages.filter((m) => m.visibleAt <= Date.now());
    }
    const attributeNames = new Set([...asStrings(input.AttributeNames), ...asStrings(input.MessageSystemAttributeNames)]);
    const wanted = asStrings(input.MessageAttributeNames);
    const now = Date.now();
    const Messages = ready.slice(0, max).map((m) => {
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + visibility * 1000;
      const handle = `${queue.name}:${m.sent.messageId}:${randomUUID()}`;
      m.receiptHandles.add(handle);
      const selected = Object.fromEntries(Object.entries(m.sent.attributes).filter(([name]) => wanted.some((w) => w === 'All' || w === '.*' || w === name || (w.endsWith('.*') && name.startsWith(w.slice(0, -1))))));
      const system: Record<string, string> = {
        SenderId: 'AIDAIENQZJOLO23YVJ4VO', SentTimestamp: String(m.sent.sentAt), ApproximateReceiveCount: String(m.receiveCount),
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
      };
      const attributes = Object.fromEntries(Object.entries(system).filter(([name]) => attributeNames.has('All') || attributeNames.has(name)));
      const md5Attributes = md5OfMessageAttributes(selected);
      return {
        MessageId: m.sent.messageId, ReceiptHandle: handle, MD5OfBody: m.sent.md5OfBody, Body: m.sent.body,
        ...(Object.keys(attributes).length > 0 && { Attributes: attributes }),
        ...(md5Attributes && { MD5OfMessageAttributes: md5Attributes, MessageAttributes: selected }),
      };
    });
    return Messages.length > 0 ? { Messages } : {};
  }

  private attributesOf(queue: Queue, names: unknown): Record<string, string> {
    const now = Date.now();
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
      ApproximateNumberOfMessagesDelayed: String(queue.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    };
    const wanted = asStrings(names);
    if (wanted.includes('All')) return all;
    return Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name)));
  }
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
