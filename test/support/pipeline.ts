/**
 * The aggregator's whole pipeline on 127.0.0.1: kinesalite, the SQS stand-in (dead-letter queue), the
 * Honeycomb stand-in and, when asked, the Secrets Manager stand-in. Each scenario gets a fresh stream, queue
 * and dataset; records come from real governed invocations (the layer's Kinesis exporter) or are put raw;
 * the aggregator runs behind the local event source mapping as deployed (partial batch responses, bisect on
 * error, finite retries). The AWS SDK clients read their endpoints from the environment when they send, so
 * the pipeline sets AWS_ENDPOINT_URL_* for its lifetime (test files run their tests in sequence).
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { trace, type Span } from '@opentelemetry/api';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { EventData } from '../../common/honeycomb/index.js';
import { readAggregatorConfig } from '../../functions/aggregator/config.js';
import { createAggregator, type AggregatorHandler } from '../../functions/aggregator/handler.js';
import { ROLLUP_EVENT_NAME } from '../../functions/aggregator/rollup.js';
import { governance } from '../../layers/governance/src/governance.js';
import { EventSourceMapping, type EventSourceMappingOptions, type KinesisBatchHandler } from '../../scripts/local/event-source-mapping.js';
import { HoneycombStandIn } from '../../scripts/local/honeycomb/index.js';
import { LocalKinesis } from '../../scripts/local/kinesis.js';
import { SecretsManagerStandIn } from '../../scripts/local/secrets-manager.js';
import { SqsStandIn } from '../../scripts/local/sqs.js';
import { createRuntime, lambdaContext, wrap } from './runtime.js';

/** A dead-letter message as the aggregator writes it (functions/aggregator/dead-letter.ts). */
export interface DeadLetterMessage {
  version: number; code: string; reason: string;
  source: { eventSourceARN: string; eventID: string; sequenceNumber: string; partitionKey: string };
  data?: string; event?: { data: EventData; time?: string }; line?: string; truncated?: { field: string; bytes: number };
}

/** One governed invocation: its root span, the child span carrying the cost, and the cost. */
export interface Produced { root: string; span: string; cost: number }

/** What identifies an arrived event: a span by its id; a span event or link by type, span and name. */
export function eventId(data: EventData): string {
  const type = data['meta.annotation_type'];
  if (typeof type !== 'string') return String(data['trace.span_id']);
  return `${type}:${String(data['trace.parent_id'])}:${String(type === 'link' ? data['trace.link.span_id'] : data.name)}`;
}

/** The ESM settings the aggregator is deployed with, scaled down so a test takes a second or two. */
export const ESM_DEFAULTS = {
  batchSize: 5, pollIntervalMs: 10, reportBatchItemFailures: true, bisectBatchOnFunctionError: true, maximumRetryAttempts: 10, timeoutMs: 10_000,
} satisfies Partial<EventSourceMappingOptions>;

export interface RunOptions {
  env?: Record<string, string | undefined>;
  esm?: Partial<EventSourceMappingOptions>;
  /** Wraps (or replaces) the aggregator, e.g. to swap keys between invocations or record responses. */
  handler?: (aggregator: AggregatorHandler) => KinesisBatchHandler;
}

export class Pipeline {
  private scenarios = 0;
  private readonly savedEnv = { ...process.env };
  private constructor(
    public readonly kinesis: LocalKinesis, public readonly sqs: SqsStandIn, public readonly honeycomb: HoneycombStandIn,
    public readonly secrets: SecretsManagerStandIn | undefined,
  ) {}

  public static async start(options: { secrets?: boolean } = {}): Promise<Pipeline> {
    const [kinesis, sqs, honeycomb, secrets] = await Promise.all([
      LocalKinesis.start(), SqsStandIn.start(), HoneycombStandIn.start(), options.secrets ? SecretsManagerStandIn.start() : undefined,
    ]);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_KINESIS: kinesis.url, AWS_ENDPOINT_URL_SQS: sqs.url, ...(secrets && { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url }),
    });
    return new Pipeline(kinesis, sqs, honeycomb, secrets);
  }

  /** A fresh stream, queue and dataset; Honeycomb and SQS faults, events and requests are cleared. */
  public async scenario(): Promise<Scenario> {
    const n = ++this.scenarios;
    this.honeycomb.reset();
    this.sqs.clearFaults();
    await this.kinesis.createStream(`governance-${n}`, 1);
    this.sqs.createQueue(`dead-letters-${n}`);
    return new Scenario(this, `governance-${n}`, `dead-letters-${n}`, `genops-${n}`);
  }

  public async stop(): Promise<void> {
    process.env = this.savedEnv;
    await Promise.all([this.kinesis.stop(), this.sqs.stop(), this.honeycomb.stop(), this.secrets?.stop()]);
  }
}

export class Scenario {
  /** Ids (see eventId) of every event that must reach Honeycomb. */
  public readonly expected = new Set<string>();
  /** Sum of the costs put on the stream. */
  public cost = 0;
  public esm?: EventSourceMapping;
  /** Every partial batch response the aggregator gave. */
  public readonly responses: KinesisStreamBatchResponse[] = [];
  private invocations = 0;

  public constructor(private readonly pipeline: Pipeline, public readonly stream: string, public readonly queue: string, public readonly dataset: string) {}

  /**
   * `count` governed invocations through the layer, one stream record each: a root span and an "llm" child
   * span with a known cost and a policy decision (a span event). `decorate` may add to the child span.
   */
  public async produce(count: number, options: { env?: Record<string, string>; decorate?: (span: Span) => void } = {}): Promise<Produced[]> {
    const runtime = createRuntime({ GOVERNANCE_EXPORTER: 'kinesis', GOVERNANCE_STREAM_NAME: this.stream, ...options.env });
    const out: Produced[] = [];
    for (let i = 0; i < count; i++) {
      const cost = Math.round((0.000_137 * (++this.invocations) + 0.000_000_3) * 1e12) / 1e12;
      const handler = wrap(runtime, async (): Promise<Produced> => {
        const root = trace.getActiveSpan()!.spanContext().spanId;
        const span = await governance.span('llm', async (child) => {
          governance.recordCost({ provider: 'anthropic', model: 'claude-haiku-4', inputTokens: 100 + i, outputTokens: 20, totalCost: cost });
          governance.recordPolicy({ name: 'pii-filter', result: 'allowed' });
          options.decorate?.(child);
          return child.spanContext().spanId;
        });
        return { root, span, cost };
      }, { team: 'ai-eng', project: 'checkout' });
      const produced = await handler({}, lambdaContext());
      this.expected.add(produced.root).add(produced.span).add(`span_event:${produced.span}:genops.policy`);
      this.cost += cost;
      out.push(produced);
    }
    if (runtime.stats.dropped !== 0 || runtime.stats.carriedOver !== 0) throw new Error(`the layer did not export everything: ${JSON.stringify(runtime.stats)}`);
    return out;
  }

  /** Puts raw records, in order; returns their sequence numbers. */
  public async put(records: Uint8Array[]): Promise<string[]> {
    const out = await this.pipeline.kinesis.client.send(new PutRecordsCommand({
      StreamName: this.stream, Records: records.map((data, i) => ({ Data: data, PartitionKey: `raw-${i}` })),
    }));
    if (out.FailedRecordCount) throw new Error('PutRecords failed');
    return out.Records!.map((r) => r.SequenceNumber!);
  }

  /** The aggregator's settings: the stand-ins, small deadline margins, and `overrides` (undefined removes). */
  public env(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const { honeycomb, sqs } = this.pipeline;
    const env: Record<string, string | undefined> = {
      HONEYCOMB_API_KEY: honeycomb.ingestKey, HONEYCOMB_API_HOST: honeycomb.url, HONEYCOMB_DATASET: this.dataset,
      AGGREGATOR_DEAD_LETTER_QUEUE_URL: sqs.queueUrl(this.queue), AWS_REGION: 'us-east-1',
      AGGREGATOR_DEADLINE_MARGIN_MS: '200', AGGREGATOR_REQUEST_TIMEOUT_MS: '2000', ...overrides,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Starts the aggregator behind an event source mapping reading the stream from its start. */
  public async start(options: RunOptions = {}): Promise<EventSourceMapping> {
    const aggregator = createAggregator(readAggregatorConfig(this.env(options.env)));
    const inner = options.handler?.(aggregator) ?? aggregator;
    const handler: KinesisBatchHandler = async (event, context) => {
      const response = await inner(event, context);
      if (response) this.responses.push(response);
      return response;
    };
    this.esm = new EventSourceMapping({ kinesis: this.pipeline.kinesis.client, streamName: this.stream, handler, ...ESM_DEFAULTS, ...options.esm });
    await this.esm.start();
    return this.esm;
  }

  /** Runs until everything on the stream has been handled, then stops the mapping. */
  public async run(options: RunOptions & { drainMs?: number } = {}): Promise<EventSourceMapping> {
    const esm = await this.start(options);
    await esm.drain(options.drainMs ?? 20_000).finally(() => esm.stop());
    return esm;
  }

  public async stop(): Promise<void> {
    await this.esm?.stop();
  }

  /** Span events (and span-event/link annotations) that reached Honeycomb, roll-ups left out. */
  public arrived(): EventData[] {
    return this.pipeline.honeycomb.events(this.dataset).map((e) => e.data).filter((d) => d.name !== ROLLUP_EVENT_NAME);
  }

  public rollups(): EventData[] {
    return this.pipeline.honeycomb.events(this.dataset).map((e) => e.data).filter((d) => d.name === ROLLUP_EVENT_NAME);
  }

  /** How many times each event arrived, by eventId. */
  public counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const data of this.arrived()) counts.set(eventId(data), (counts.get(eventId(data)) ?? 0) + 1);
    return counts;
  }

  /** SUM(genops.rollup.cost_usd) over the roll-ups that arrived. */
  public rollupCost(): number {
    return this.rollups().reduce((sum, d) => sum + Number(d['genops.rollup.cost_usd']), 0);
  }

  public deadLetters(): DeadLetterMessage[] {
    return this.pipeline.sqs.messages(this.queue).map((m) => JSON.parse(m.body) as DeadLetterMessage);
  }

  /** Sequence numbers of every record on the stream, in order. */
  public async sequenceNumbers(): Promise<string[]> {
    return (await this.pipeline.kinesis.readAll(this.stream)).map((r) => r.sequenceNumber);
  }
}
