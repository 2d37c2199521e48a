/**
 * An SNS stand-in for local runs and tests (no real local SNS runs here). It speaks the AWS Query protocol
 * @aws-sdk/client-sns uses: POST / with a form-urlencoded body (`Action=Publish&Version=2010-03-31&...`;
 * string maps as `Attributes.entry.N.key|value`, message attributes as `MessageAttributes.entry.N.Name|
 * Value.DataType|Value.StringValue|Value.BinaryValue`), answered with XML `<{Action}Response><{Action}Result>`
 * and errors as `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…` with SNS's
 * status (the SDK maps Code NotFound to NotFoundException, InvalidParameter to InvalidParameterException).
 * Request signatures are not checked.
 *
 * Operations: CreateTopic (idempotent; FIFO needs a `.fifo` name and FifoTopic=true; the same name with other
 * attributes is rejected), ListTopics (pages of 100), Publish, and Subscribe with Protocol `http` on standard
 * topics only (SNS FIFO topics deliver to SQS only). Subscriptions are confirmed at once (no
 * SubscriptionConfirmation round trip) and the ARN is returned whatever ReturnSubscriptionArn says.
 *
 * Publish validates as SNS does: no TopicArn/TargetArn or a malformed one → 400 InvalidParameter; an unknown
 * topic → 404 NotFound "Topic does not exist"; an empty Message, a Subject empty, over 100 characters or with
 * control characters, bad message attributes, or a message (Message plus each attribute's name, type and
 * value bytes) over the topic's MaximumMessageSize (default 262,144) → 400 InvalidParameter. MessageStructure
 * is not supported (rejected). FIFO topics need MessageGroupId and, unless ContentBasedDeduplication=true
 * (SHA-256 of Message), MessageDeduplicationId; a repeated deduplication id within 5 minutes of the first (by
 * `clock`; per group with FifoThroughputScope=MessageGroup) is answered with the original MessageId and
 * SequenceNumber and is not recorded or delivered again. Standard topics reject MessageDeduplicationId and
 * accept MessageGroupId (SNS forwards it to SQS subscriptions only, for fair queues): recorded, never sent.
 *
 * HTTP delivery starts after Publish is answered, never blocking it: a POST of the Notification JSON
 * (Signature "stand-in", not verifiable; SigningCertURL and UnsubscribeURL point at the stand-in and do
 * nothing) or, with RawMessageDelivery=true, the bare message, with SNS's x-amz-sns-* headers. 2xx is
 * success; 5xx, timeouts and connection errors are retried after each of `deliveryRetryDelaysMs` (default
 * 10, 40, 160 ms: four attempts, like SNS's default three retries, which are 20 s apart); other statuses fail
 * at once.
 *
 * Test helpers: messages(topicName?) lists every accepted publication in order; deliveries() lists every HTTP
 * delivery attempt; deliveriesSettled() waits for deliveries in flight; failRequests(n, status, code) fails
 * the next n requests whole (the SDK retries 5xx by itself); `calls` lists requests with their status.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const SNS_MAX_MESSAGE_BYTES = 262_144;
export const SNS_FIFO_DEDUP_WINDOW_MS = 5 * 60_000;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const PAGE = 100;

/** A message attribute as Publish carries it (BinaryValue is base64). */
export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A publication the stand-in accepted (deduplicated repeats are not listed). */
export interface PublishedSnsMessage {
  topicArn: string;
  topicName: string;
  messageId: string;
  subject?: string;
  message: string;
  attributes: Record<string, SnsMessageAttribute>;
  groupId?: string;
  /** The MessageDeduplicationId given, or the content-based one SNS derives. */
  dedupId?: string;
  sequenceNumber?: string;
  publishedAt: number;
}

/** One HTTP delivery attempt: `status` when the endpoint answered, `error` when it did not. */
export interface SnsDelivery {
  subscriptionArn: string;
  endpoint: string;
  messageId: string;
  attempt: number;
  status?: number;
  error?: string;
  ok: boolean;
  at: number;
}

export interface SnsStandInOptions {
  /** Milliseconds since the epoch; drives dedup windows and timestamps. Defaults to Date.now. */
  clock?: () => number;
  deliveryRetryDelaysMs?: number[];
  deliveryTimeoutMs?: number;
}

interface Subscription { arn: string; endpoint: string; raw: boolean }
interface Topic {
  name: string;
  arn: string;
  fifo: boolean;
  attributes: Record<string, string>;
  subscriptions: Subscription[];
  dedup: Map<string, { messageId: string; sequenceNumber: string; at: number }>;
}

class SnsError extends Error {
  public constructor(public readonly code: string, message: string, public readonly status = 400) {
    super(message);
  }
}
const invalidParameter = (what: string): SnsError => new SnsError('InvalidParameter', `Invalid parameter: ${what}`);
const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const TOKEN = /^[\x21-\x7e]{1,128}$/; // MessageGroupId / MessageDeduplicationId: alphanumerics and punctuation
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Bytes SNS counts toward the size limit: the message plus each attribute's name, type and value. */
export function snsMessageSize(message: string, attributes: Record<string, SnsMessageAttribute> = {}): number {
  let size = Buffer.byteLength(message, 'utf8');
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType)
      + (a.BinaryValue !== undefined ? Buffer.from(a.BinaryValue, 'base64').length : Buffer.byteLength(a.StringValue ?? ''));
  }
  return size;
}

export class SnsStandIn {
  private readonly topics = new Map<string, Topic>();
  private readonly published: PublishedSnsMessage[] = [];
  private readonly attempts: SnsDelivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly server: http.Server;
  private readonly clock: () => number;
  private readonly retryDelays: number[];
  private readonly deliveryTimeoutMs: number;
  private requestFault?: { remaining: number; status: number; code: string };
  private sequence = 0n;
  /** Every request, in order, with its action and HTTP status. */
  public readonly calls: { action: string; status: number }[] = [];

  private constructor(options: SnsStandInOptions) {
    this.clock = options.clock ?? Date.now;
    this.retryDelays = options.deliveryRetryDelaysMs ?? [10, 40, 160];
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 5_000;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  public static async start(options: SnsStandInOptions = {}): Promise<SnsStandIn> {
    const standIn = new SnsStandIn(options);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public topicArn(name: string): string {
    return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
  }

  /** Creates a topic directly (same rules as CreateTopic); returns its ARN. */
  public createTopic(name: string, attributes: Record<string, string> = {}): string {
    return this.create(name, attributes).arn;
  }

  /** Every accepted publication, in order, on one topic (by name) or on all. */
  public messages(topicName?: string): PublishedSnsMessage[] {
    return this.published.filter((m) => topicName === undefined || m.topicName === topicName);
  }

  public deliveries(): SnsDelivery[] {
    return [...this.attempts];
  }

  /** Resolves once every delivery started so far (retries included) has finished. */
  public async deliveriesSettled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Fails the next `n` requests whole with `status` and error code `code`. */
  public failRequests(n: number, status = 500, code = 'InternalError'): void {
    this.requestFault = n > 0 ? { remaining: n, status, code } : undefined;
  }

  public clearFaults(): void {
    this.requestFault = undefined;
  }

  /** Abandons deliveries in flight (no further retries) and closes the server. */
  public async stop(): Promise<void> {
    this.abort.abort();
    await this.deliveriesSettled();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private create(name: string, attributes: Record<string, string>): Topic {
    const fifo = attributes.FifoTopic === 'true';
    if (fifo && !/^[A-Za-z0-9_-]{1,251}\.fifo$/.test(name)) {
      throw invalidParameter('Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.');
    }
    if (!fifo && !/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw invalidParameter('Topic Name');
    const existing = this.topics.get(name);
    if (existing) {
      if (Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v)) throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
      return existing;
    }
    const topic: Topic = {
      name, arn: this.topicArn(name), fifo, subscriptions: [], dedup: new Map(),
      attributes: { ...(fifo && { FifoTopic: 'true', ContentBasedDeduplication: 'false', FifoThroughputScope: 'Topic' }), ...attributes },
    };
    this.topics.set(name, topic);
    return topic;
  }

  private topicFor(arn: string | null): Topic {
    if (!arn) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    const match = /^arn:aws:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]{1,256})$/.exec(arn);
    if (!match) throw invalidParameter('TopicArn');
    const topic = this.topics.get(match[1]!);
    if (!topic || topic.arn !== arn) throw new SnsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = params.get('Action') ?? '';
      const requestId = randomUUID();
      const send = (status: number, xml: string): void => {
        this.calls.push({ action, status });
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(`<?xml version="1.0"?>\n${xml}`);
      };
      const fail = (e: SnsError): void => send(e.status, `<ErrorResponse xmlns="${NS}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type>`
        + `<Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      const fault = this.requestFault;
      if (fault) {
        if (--fault.remaining <= 0) this.requestFault = undefined;
        return fail(new SnsError(fault.code, 'Request could not be completed (injected)', fault.status));
      }
      try {
        const result = this.dispatch(action, params);
        send(200, `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>`
          + `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
      } catch (e) {
        fail(e instanceof SnsError ? e : new SnsError('InternalError', e instanceof Error ? e.message : String(e), 500));
      }
    });
  }

  /** Runs one action; returns the inner XML of its Result element. */
  private dispatch(action: string, params: URLSearchParams): string {
    switch (action) {
      case 'CreateTopic':
        return `<TopicArn>${escapeXml(this.create(params.get('Name') ?? '', readMap(params, 'Attributes')).arn)}</TopicArn>`;
      case 'ListTopics': {
        const start = Number(params.get('NextToken') ?? 0);
        if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken');
        const arns = [...this.topics.values()].map((t) => t.arn);
        const page = arns.slice(start, start + PAGE).map((arn) => `<member><TopicArn>${escapeXml(arn)}</TopicArn></member>`).join('');
        return `<Topics>${page}</Topics>${start + PAGE < arns.length ? `<NextToken>${start + PAGE}</NextToken>` : ''}`;
      }
      case 'Subscribe': {
        const topic = this.topicFor(params.get('TopicArn'));
        const protocol = params.get('Protocol');
        const endpoint = params.get('Endpoint') ?? '';
        if (protocol !== 'http') throw invalidParameter(`Protocol Reason: the stand-in delivers to http endpoints only, not ${protocol ?? 'none'}`);
        if (topic.fifo) throw invalidParameter('Invalid protocol type: http. FIFO topics deliver to Amazon SQS only');
        if (!endpoint.toLowerCase().startsWith('http://') || !URL.canParse(endpoint)) throw invalidParameter('Endpoint must match the specified protocol');
        const raw = readMap(params, 'Attributes').RawMessageDelivery === 'true';
        let subscription = topic.subscriptions.find((s) => s.endpoint === endpoint);
        if (!subscription) topic.subscriptions.push(subscription = { arn: `${topic.arn}:${randomUUID()}`, endpoint, raw });
        return `<SubscriptionArn>${escapeXml(subscription.arn)}</SubscriptionArn>`;
      }
      case 'Publish':
        return this.publish(params);
      default:
        throw new SnsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private publish(params: URLSearchParams): string {
    const topic = this.topicFor(params.get('TopicArn') ?? params.get('TargetArn'));
    const message = params.get('Message');
    if (!message) throw invalidParameter('Empty message');
    if (params.has('MessageStructure')) throw invalidParameter('MessageStructure Reason: not supported by the stand-in');
    const subject = params.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\x00-\x1f\x7f]/.test(subject))) throw invalidParameter('Subject');
    const attributes = readMessageAttributes(params);
    if (snsMessageSize(message, attributes) > Number(topic.attributes.MaximumMessageSize ?? SNS_MAX_MESSAGE_BYTES)) throw invalidParameter('Message too long');
    const groupId = params.get('MessageGroupId') ?? undefined;
    let dedupId = params.get('MessageDeduplicationId') ?? undefined;
    if (groupId !== undefined && !TOKEN.test(groupId)) throw invalidParameter('MessageGroupId Reason: must be 1 to 128 alphanumeric or punctuation characters');
    if (dedupId !== undefined && !TOKEN.test(dedupId)) throw invalidParameter('MessageDeduplicationId Reason: must be 1 to 128 alphanumeric or punctuation characters');
    const now = this.clock();
    const messageId = randomUUID();
    let sequenceNumber: string | undefined;
    if (topic.fifo) {
      if (groupId === undefined) throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
      if (dedupId === undefined) {
        if (topic.attributes.ContentBasedDeduplication !== 'true') throw invalidParameter('The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        dedupId = createHash('sha256').update(message, 'utf8').digest('hex');
      }
      const key = topic.attributes.FifoThroughputScope === 'MessageGroup' ? `${groupId}\n${dedupId}` : dedupId;
      const prior = topic.dedup.get(key);
      if (prior && now - prior.at < SNS_FIFO_DEDUP_WINDOW_MS) return `<MessageId>${prior.messageId}</MessageId><SequenceNumber>${prior.sequenceNumber}</SequenceNumber>`;
      sequenceNumber = String(10_000_000_000_000_000_000n + ++this.sequence);
      topic.dedup.set(key, { messageId, sequenceNumber, at: now });
    } else if (dedupId !== undefined) {
      throw invalidParameter('MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
    }
    const published: PublishedSnsMessage = {
      topicArn: topic.arn, topicName: topic.name, messageId, ...(subject !== undefined && { subject }), message,
      attributes, ...(groupId !== undefined && { groupId }),
      ...(dedupId !== undefined && { dedupId }), ...(sequenceNumber !== undefined && { sequenceNumber }), publishedAt: now,
    };
    this.published.push(published);
    for (const subscription of topic.subscriptions) {
      const delivery: Promise<void> = this.deliver(subscription, published).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    return `<MessageId>${messageId}</MessageId>${sequenceNumber === undefined ? '' : `<SequenceNumber>${sequenceNumber}</SequenceNumber>`}`;
  }

  private async deliver(subscription: Subscription, m: PublishedSnsMessage): Promise<void> {
    const attributes = Object.entries(m.attributes);
    const body = subscription.raw ? m.message : JSON.stringify({
      Type: 'Notification', MessageId: m.messageId, TopicArn: m.topicArn, ...(m.subject !== undefined && { Subject: m.subject }),
      Message: m.message, Timestamp: new Date(m.publishedAt).toISOString(), SignatureVersion: '1', Signature: 'stand-in',
      SigningCertURL: `${this.endpoint}/SimpleNotificationService-stand-in.pem`,
      UnsubscribeURL: `${this.endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
      ...(attributes.length > 0 && { MessageAttributes: Object.fromEntries(attributes.map(([name, a]) => [name, { Type: a.DataType, Value: a.BinaryValue ?? a.StringValue }])) }),
    });
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'text/plain; charset=UTF-8', 'content-length': Buffer.byteLength(body), 'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': 'Notification', 'x-amz-sns-message-id': m.messageId, 'x-amz-sns-topic-arn': m.topicArn,
      'x-amz-sns-subscription-arn': subscription.arn, ...(subscription.raw && { 'x-amz-sns-rawdelivery': 'true' }),
    };
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      const outcome = await post(subscription.endpoint, headers, body, this.deliveryTimeoutMs, this.abort.signal);
      const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
      this.attempts.push({ subscriptionArn: subscription.arn, endpoint: subscription.endpoint, messageId: m.messageId, attempt, ...outcome, ok, at: this.clock() });
      const delay = this.retryDelays[attempt - 1];
      if (ok || (outcome.status !== undefined && outcome.status < 500) || delay === undefined) return;
      await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }
}

function post(url: string, headers: http.OutgoingHttpHeaders, body: string, timeoutMs: number, signal: AbortSignal): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers, agent: false, timeout: timeoutMs, signal }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

/** A Query-protocol string map: `<prefix>.entry.N.key` / `<prefix>.entry.N.value`. */
function readMap(params: URLSearchParams, prefix: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (let n = 1; params.has(`${prefix}.entry.${n}.key`); n++) map[params.get(`${prefix}.entry.${n}.key`)!] = params.get(`${prefix}.entry.${n}.value`) ?? '';
  return map;
}

function readMessageAttributes(params: URLSearchParams): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (let n = 1; params.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const get = (field: string): string | undefined => params.get(`MessageAttributes.entry.${n}.${field}`) ?? undefined;
    const name = get('Name')!;
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name) || /^\.|\.\.|\.$/.test(name)) throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    const dataType = get('Value.DataType') ?? '';
    const kind = /^(String|Number|Binary)(\..+)?$/.exec(dataType)?.[1];
    if (!kind) throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    const value = get(kind === 'Binary' ? 'Value.BinaryValue' : 'Value.StringValue');
    if (!value) throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${kind}'.`);
    if (kind === 'Number' && !NUMBER.test(value)) throw invalidParameter(`The message attribute '${name}' with type 'Number' must be a valid number string.`);
    if (dataType === 'String.Array' && !isJsonArray(value)) throw invalidParameter(`The message attribute '${name}' with type 'String.Array' must be a JSON array.`);
    attributes[name] = kind === 'Binary' ? { DataType: dataType, BinaryValue: value } : { DataType: dataType, StringValue: value };
  }
  return attributes;
}

function isJsonArray(value: string): boolean {
  try {
    return Array.isArray(JSON.parse(value));
  } catch {
    return false;
  }
}
