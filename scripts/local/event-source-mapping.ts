/**
 * A Kinesis event source mapping for local runs and tests: polls every shard of a stream with
 * GetShardIterator/GetRecords and invokes an in-process handler (which may wrap a LocalLambda) the way
 * AWS Lambda's Kinesis event source mapping does
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
 * .../services-kinesis-batchfailurereporting.html, .../kinesis-on-failure-destination.html):
 *
 * - Batching: a batch is invoked when batchSize records are ready, the batching window expires (0 = as soon
 *   as records are available), or the event payload would pass 6 MB.
 * - Per shard, in order, one batch in flight (ParallelizationFactor 1; higher factors are not modelled).
 *   A failing batch blocks only its own shard.
 * - Success checkpoints after the batch. A thrown error, rejected promise or timeout fails the whole batch.
 * - ReportBatchItemFailures: an empty or missing batchItemFailures list, or an empty/null response, is a
 *   success (so is a response that is not an object; without the setting any response is); otherwise the checkpoint moves to just before the lowest reported sequence number and the
 *   records from it on are retried. An itemIdentifier that is null, empty, missing (a bad key name) or not a
 *   sequence number of the batch makes the whole batch a failure.
 * - BisectBatchOnFunctionError: a failed batch (of more than one record) is split in two and the halves are
 *   retried in order; splitting does not count against MaximumRetryAttempts. With ReportBatchItemFailures,
 *   a partial failure retries only the records from the reported one (the "bisect at the returned sequence
 *   number" of the docs), and that retry counts.
 * - MaximumRetryAttempts (-1 = until the records expire): when a batch that has been retried that many
 *   times fails again it is discarded. MaximumRecordAgeInSeconds (-1 = no limit): before every invocation,
 *   records older than that are discarded without being sent. A discarded batch's metadata (not its data)
 *   goes to onFailure as Lambda's on-failure invocation record, and the checkpoint moves past it.
 *
 * The stand-in keeps the records it has read in memory instead of re-reading from the checkpoint, so retries
 * see exactly the records of the failed batch. Shards are listed once at start (resharding is not followed).
 * Record age uses the injectable clock; batching windows, timeouts and poll intervals use real time.
 */
import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type ShardIteratorType,
} from '@aws-sdk/client-kinesis';

/** Lambda's synchronous invocation payload limit, which caps a batch. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;

export type KinesisBatchHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void | null | undefined>;

export interface EventSourceMappingOptions {
  kinesis: KinesisClient;
  streamName: string;
  handler: KinesisBatchHandler;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** 1..10000, default 100. */
  batchSize?: number;
  /** 0..300000 ms, default 0. */
  maximumBatchingWindowMs?: number;
  bisectBatchOnFunctionError?: boolean;
  /** -1 (default, until the records expire) or 0..10000. */
  maximumRetryAttempts?: number;
  /** -1 (default, no limit) or 60..604800. */
  maximumRecordAgeSeconds?: number;
  reportBatchItemFailures?: boolean;
  /** The on-failure destination: receives Lambda's invocation record for each discarded batch. */
  onFailure?: (record: KinesisOnFailureRecord) => Promise<void>;
  functionName?: string;
  functionArn?: string;
  /** Defaults to the stream's ARN from DescribeStream. */
  eventSourceArn?: string;
  region?: string;
  invokeIdentityArn?: string;
  /** Function timeout: a handler still running after this fails the batch. Default 60000. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  /** Epoch ms used for record age and on-failure timestamps. Default Date.now. */
  clock?: () => number;
  /** Pause between empty polls and before a retry. Default 20. */
  pollIntervalMs?: number;
}

/** Lambda's on-failure invocation record for a Kinesis batch (metadata only, never the records). */
export interface KinesisOnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export type InvocationOutcomeKind = 'success' | 'partial' | 'error' | 'timeout' | 'invalid-response';

export interface EsmInvocation {
  shardId: string;
  requestId: string;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  batchSize: number;
  /** How many retries of this batch preceded this invocation (bisected halves inherit their parent's). */
  retryAttempt: number;
  outcome: InvocationOutcomeKind;
  /** For 'partial': the lowest reported sequence number, where processing resumes. */
  resumeAt?: string;
  error?: string;
}

export interface EventSourceMappingStats {
  invocations: number;
  /** Records sent to the handler, counting every retry again. */
  recordsDelivered: number;
  /** Re-invocations of a failed batch (bisected halves are not retries). */
  retries: number;
  bisections: number;
  /** Records discarded for being older than maximumRecordAgeSeconds. */
  expiredRecords: number;
  /** Records discarded after maximumRetryAttempts. */
  exhaustedRecords: number;
  /** Discarded batches (each produced one on-failure record). */
  onFailureBatches: number;
}

interface BufferedRecord {
  sequenceNumber: string;
  order: bigint;
  partitionKey: string;
  data: string;
  arrivalMs: number;
  eventBytes: number;
}

interface PendingBatch {
  records: BufferedRecord[];
  retries: number;
  invokes: number;
  lastRequestId?: string;
  lastFunctionError?: string;
}

interface ShardState {
  shardId: string;
  iterator?: string;
  ended: boolean;
  buffer: BufferedRecord[];
  bufferBytes: number;
  bufferSince?: number;
  pending: PendingBatch[];
  lastFetchedSequence?: string;
  checkpoint?: string;
  busy: boolean;
  /** performance.now() at the start of the latest GetRecords that found the shard caught up. */
  caughtUpFetchStartedAt: number;
}

type Classified = { kind: 'success' } | { kind: 'partial'; from: number; resumeAt: string } | { kind: 'error' | 'timeout' | 'invalid-response'; error: string };

const EVENT_OVERHEAD = '{"Records":[]}'.length;

export class EventSourceMapping {
  public readonly stats: EventSourceMappingStats = {
    invocations: 0, recordsDelivered: 0, retries: 0, bisections: 0, expiredRecords: 0, exhaustedRecords: 0, onFailureBatches: 0,
  };
  /** Every invocation, in order. */
  public readonly invocations: EsmInvocation[] = [];
  /** Every on-failure record produced, whether or not onFailure is set. */
  public readonly failures: KinesisOnFailureRecord[] = [];
  /** Kinesis or on-failure delivery errors the poller retried through. */
  public readonly errors: { shardId: string; error: string }[] = [];

  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxRetries: number;
  private readonly maxAgeSeconds: number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  private readonly region: string;
  private readonly functionName: string;
  private readonly functionArn: string;
  private streamArn: string;
  private shards: ShardState[] = [];
  private loops: Promise<void>[] = [];
  private running = false;
  private readonly sleepers = new Set<() => void>();

  public constructor(private readonly options: EventSourceMappingOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.windowMs = options.maximumBatchingWindowMs ?? 0;
    this.maxRetries = options.maximumRetryAttempts ?? -1;
    this.maxAgeSeconds = options.maximumRecordAgeSeconds ?? -1;
    this.pollIntervalMs = options.pollIntervalMs ?? 20;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
    this.region = options.region ?? 'us-east-1';
    this.functionName = options.functionName ?? 'local-function';
    this.functionArn = options.functionArn ?? `arn:aws:lambda:${this.region}:123456789012:function:${this.functionName}`;
    this.streamArn = options.eventSourceArn ?? '';
    const check = (ok: boolean, message: string): void => {
      if (!ok) throw new RangeError(message);
    };
    check(Number.isInteger(this.batchSize) && this.batchSize >= 1 && this.batchSize <= 10_000, 'batchSize must be 1..10000');
    check(this.windowMs >= 0 && this.windowMs <= 300_000, 'maximumBatchingWindowMs must be 0..300000');
    check(Number.isInteger(this.maxRetries) && this.maxRetries >= -1 && this.maxRetries <= 10_000, 'maximumRetryAttempts must be -1 or 0..10000');
    check(this.maxAgeSeconds === -1 || (this.maxAgeSeconds >= 60 && this.maxAgeSeconds <= 604_800), 'maximumRecordAgeSeconds must be -1 or 60..604800');
  }

  /** Lists the shards, takes an iterator for each (so LATEST means "after start() resolved") and starts polling. */
  public async start(): Promise<void> {
    if (this.running) return;
    if (this.shards.length > 0) {
      // Restarted after stop(): carry on from the checkpoints, with what was already read still buffered.
      this.running = true;
      this.loops = this.shards.map((shard) => this.run(shard));
      return;
    }
    const { kinesis, streamName } = this.options;
    const description = (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription;
    this.streamArn ||= description?.StreamARN ?? `arn:aws:kinesis:${this.region}:123456789012:stream/${streamName}`;
    const type: ShardIteratorType = this.options.startingPosition ?? 'TRIM_HORIZON';
    this.shards = await Promise.all((description?.Shards ?? []).map(async (s): Promise<ShardState> => ({
      shardId: s.ShardId!,
      iterator: (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: s.ShardId!, ShardIteratorType: type }))).ShardIterator,
      ended: false, buffer: [], bufferBytes: 0, pending: [], busy: false, caughtUpFetchStartedAt: -Infinity,
    })));
    this.running = true;
    this.loops = this.shards.map((shard) => this.run(shard));
  }

  /** Stops polling; resolves once every in-flight invocation (and on-failure delivery) has finished. */
  public async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /**
   * Resolves when, on every shard, a GetRecords that started after this call found nothing new, nothing is
   * buffered or awaiting retry, and nothing is in flight: everything put before the call has been handled.
   */
  public async drain(timeoutMs = 10_000): Promise<void> {
    if (!this.running) throw new Error('event source mapping is not running');
    const since = performance.now();
    const deadline = since + timeoutMs;
    for (;;) {
      const idle = this.shards.every((s) => !s.busy && s.buffer.length === 0 && s.pending.length === 0
        && (s.ended || s.caughtUpFetchStartedAt >= since));
      if (idle) return;
      if (performance.now() > deadline) {
        const state = this.shards.map((s) => `${s.shardId}: buffered ${s.buffer.length}, pending ${s.pending.map((p) => p.records.length).join('+') || 0}, busy ${s.busy}, checkpoint ${s.checkpoint ?? '-'}`);
        throw new Error(`drain timed out after ${timeoutMs} ms (${state.join('; ')})`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The last sequence number handled (processed or discarded) per shard. */
  public checkpoints(): Record<string, string | undefined> {
    return Object.fromEntries(this.shards.map((s) => [s.shardId, s.checkpoint]));
  }

  public get shardIds(): string[] {
    return this.shards.map((s) => s.shardId);
  }

  private async run(shard: ShardState): Promise<void> {
    while (this.running) {
      let again = false;
      try {
        again = await this.step(shard);
      } catch (e) {
        this.errors.push({ shardId: shard.shardId, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        if (e instanceof Error && e.name === 'ExpiredIteratorException') await this.renewIterator(shard);
      }
      if (!again && this.running) await this.sleep(this.pollIntervalMs);
    }
  }

  /** One unit of work; true when there is more to do right away. */
  private async step(shard: ShardState): Promise<boolean> {
    if (shard.pending.length === 0) {
      let fetched = 0;
      if (!shard.ended && shard.buffer.length < this.batchSize && shard.bufferBytes < MAX_EVENT_BYTES) fetched = await this.fetch(shard);
      const batch = this.cut(shard);
      if (!batch) return fetched > 0;
      shard.pending.push({ records: batch, retries: 0, invokes: 0 });
    }
    shard.busy = true;
    try {
      return await this.processHead(shard);
    } finally {
      shard.busy = false;
    }
  }

  private async fetch(shard: ShardState): Promise<number> {
    if (!shard.iterator) {
      shard.ended = true;
      return 0;
    }
    const startedAt = performance.now();
    const page = await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: Math.max(1, this.batchSize - shard.buffer.length) }));
    shard.iterator = page.NextShardIterator;
    if (!shard.iterator) shard.ended = true;
    const records = page.Records ?? [];
    if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) shard.caughtUpFetchStartedAt = startedAt;
    for (const r of records) {
      const record: BufferedRecord = {
        sequenceNumber: r.SequenceNumber!, order: BigInt(r.SequenceNumber!), partitionKey: r.PartitionKey!,
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? this.clock(), eventBytes: 0,
      };
      record.eventBytes = Buffer.byteLength(JSON.stringify(this.eventRecord(shard.shardId, record))) + 1;
      if (shard.buffer.length === 0) shard.bufferSince = performance.now();
      shard.buffer.push(record);
      shard.bufferBytes += record.eventBytes;
      shard.lastFetchedSequence = record.sequenceNumber;
    }
    return records.length;
  }

  private async renewIterator(shard: ShardState): Promise<void> {
    const { kinesis, streamName } = this.options;
    const after = shard.lastFetchedSequence;
    try {
      shard.iterator = (await kinesis.send(new GetShardIteratorCommand({
        StreamName: streamName, ShardId: shard.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after } : { ShardIteratorType: this.options.startingPosition ?? 'TRIM_HORIZON' }),
      }))).ShardIterator;
    } catch (e) {
      this.errors.push({ shardId: shard.shardId, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Takes the next batch off the buffer when it is full, would pass 6 MB, or its window has expired. */
  private cut(shard: ShardState): BufferedRecord[] | undefined {
    if (shard.buffer.length === 0) return undefined;
    const full = shard.buffer.length >= this.batchSize || EVENT_OVERHEAD + shard.bufferBytes >= MAX_EVENT_BYTES;
    const windowOver = this.windowMs === 0 || performance.now() - (shard.bufferSince ?? 0) >= this.windowMs;
    if (!full && !windowOver) return undefined;
    let count = 0;
    let bytes = EVENT_OVERHEAD;
    for (const r of shard.buffer) {
      if (count === this.batchSize || (count > 0 && bytes + r.eventBytes > MAX_EVENT_BYTES)) break;
      bytes += r.eventBytes;
      count++;
    }
    const batch = shard.buffer.splice(0, count);
    shard.bufferBytes -= bytes - EVENT_OVERHEAD;
    if (shard.buffer.length > 0) shard.bufferSince = performance.now();
    return batch;
  }

  /** Works on the shard's head batch: expire, invoke, then checkpoint, split, retry or discard. */
  private async processHead(shard: ShardState): Promise<boolean> {
    const batch = shard.pending[0]!;
    if (this.maxAgeSeconds >= 0) {
      const now = this.clock();
      const expired = batch.records.findIndex((r) => now - r.arrivalMs <= this.maxAgeSeconds * 1000);
      const count = expired === -1 ? batch.records.length : expired;
      if (count > 0) {
        await this.discard(shard, batch, batch.records.slice(0, count), 'RecordAgeExceeded');
        batch.records = batch.records.slice(count);
        if (batch.records.length === 0) {
          shard.pending.shift();
          return true;
        }
      }
    }
    const result = await this.invoke(shard, batch);
    if (result.kind === 'success') {
      shard.checkpoint = batch.records.at(-1)!.sequenceNumber;
      shard.pending.shift();
      return true;
    }
    if (result.kind === 'partial') {
      if (result.from > 0) shard.checkpoint = batch.records[result.from - 1]!.sequenceNumber;
      return this.retryOrDiscard(shard, batch, batch.records.slice(result.from));
    }
    if (this.options.bisectBatchOnFunctionError && batch.records.length > 1) {
      const mid = Math.ceil(batch.records.length / 2);
      const half = (records: BufferedRecord[]): PendingBatch => ({
        records, retries: batch.retries, invokes: batch.invokes,
        ...(batch.lastRequestId && { lastRequestId: batch.lastRequestId }), ...(batch.lastFunctionError && { lastFunctionError: batch.lastFunctionError }),
      });
      shard.pending.splice(0, 1, half(batch.records.slice(0, mid)), half(batch.records.slice(mid)));
      this.stats.bisections++;
      return true;
    }
    return this.retryOrDiscard(shard, batch, batch.records);
  }

  private async retryOrDiscard(shard: ShardState, batch: PendingBatch, remaining: BufferedRecord[]): Promise<boolean> {
    if (this.maxRetries >= 0 && batch.retries >= this.maxRetries) {
      await this.discard(shard, batch, remaining, 'RetryAttemptsExhausted');
      shard.pending.shift();
      return true;
    }
    batch.records = remaining;
    batch.retries++;
    this.stats.retries++;
    return false; // wait a poll interval before retrying
  }

  private async invoke(shard: ShardState, batch: PendingBatch): Promise<Classified> {
    const requestId = randomUUID();
    const records = batch.records;
    batch.invokes++;
    batch.lastRequestId = requestId;
    this.stats.invocations++;
    this.stats.recordsDelivered += records.length;
    const event: KinesisStreamEvent = { Records: records.map((r) => this.eventRecord(shard.shardId, r)) };
    let timer: NodeJS.Timeout | undefined;
    let result: Classified;
    try {
      const response = await Promise.race([
        Promise.resolve().then(() => this.options.handler(event, this.context(requestId))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds`)), this.timeoutMs);
        }),
      ]);
      result = this.classify(response, records);
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      result = { kind: e instanceof TimeoutError ? 'timeout' : 'error', error: message };
    } finally {
      clearTimeout(timer);
    }
    if (result.kind === 'error' || result.kind === 'timeout') batch.lastFunctionError = 'Unhandled';
    else delete batch.lastFunctionError;
    this.invocations.push({
      shardId: shard.shardId, requestId, firstSequenceNumber: records[0]!.sequenceNumber, lastSequenceNumber: records.at(-1)!.sequenceNumber,
      batchSize: records.length, retryAttempt: batch.retries, outcome: result.kind,
      ...(result.kind === 'partial' && { resumeAt: result.resumeAt }), ...('error' in result && { error: result.error }),
    });
    return result;
  }

  private classify(response: unknown, records: BufferedRecord[]): Classified {
    if (!this.options.reportBatchItemFailures || response === null || typeof response !== 'object') return { kind: 'success' };
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return { kind: 'success' };
    if (!Array.isArray(failures)) return { kind: 'invalid-response', error: 'batchItemFailures is not a list' };
    if (failures.length === 0) return { kind: 'success' };
    let from = Infinity;
    for (const failure of failures as unknown[]) {
      const id = failure !== null && typeof failure === 'object' ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
      const index = typeof id === 'string' && id !== '' ? records.findIndex((r) => r.sequenceNumber === id) : -1;
      if (index === -1) return { kind: 'invalid-response', error: `invalid itemIdentifier ${JSON.stringify(id ?? null)}` };
      from = Math.min(from, index);
    }
    return { kind: 'partial', from, resumeAt: records[from]!.sequenceNumber };
  }

  /** Sends the on-failure record for `records` (retrying delivery until it succeeds) and checkpoints past them. */
  private async discard(shard: ShardState, batch: PendingBatch, records: BufferedRecord[], condition: KinesisOnFailureRecord['requestContext']['condition']): Promise<void> {
    const first = records[0]!;
    const last = records.at(-1)!;
    const record: KinesisOnFailureRecord = {
      requestContext: { requestId: batch.lastRequestId ?? randomUUID(), functionArn: this.functionArn, condition, approximateInvokeCount: batch.invokes },
      responseContext: batch.invokes > 0
        ? { statusCode: 200, executedVersion: '$LATEST', ...(batch.lastFunctionError && { functionError: batch.lastFunctionError }) }
        : { statusCode: 0, executedVersion: '$LATEST' },
      version: '1.0',
      timestamp: new Date(this.clock()).toISOString(),
      KinesisBatchInfo: {
        shardId: shard.shardId, startSequenceNumber: first.sequenceNumber, endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(), approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
        batchSize: records.length, streamArn: this.streamArn,
      },
    };
    while (this.options.onFailure) {
      try {
        await this.options.onFailure(record);
        break;
      } catch (e) {
        this.errors.push({ shardId: shard.shardId, error: `onFailure: ${e instanceof Error ? e.message : String(e)}` });
        if (!this.running) throw e;
        await this.sleep(this.pollIntervalMs);
      }
    }
    this.failures.push(record);
    this.stats.onFailureBatches++;
    if (condition === 'RecordAgeExceeded') this.stats.expiredRecords += records.length;
    else this.stats.exhaustedRecords += records.length;
    shard.checkpoint = last.sequenceNumber;
  }

  private eventRecord(shardId: string, r: BufferedRecord): KinesisStreamRecord {
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: r.data,
        approximateArrivalTimestamp: r.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: this.options.invokeIdentityArn ?? 'arn:aws:iam::123456789012:role/lambda-kinesis-role',
      awsRegion: this.region,
      eventSourceARN: this.streamArn,
    };
  }

  private context(awsRequestId: string): Context {
    const deadline = Date.now() + this.timeoutMs;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const unsupported = (): never => {
      throw new Error('callback-style completion (done/fail/succeed) is not supported; return a promise');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn,
      memoryLimitInMB: String(this.options.memoryLimitInMB ?? 128),
      awsRequestId,
      logGroupName: `/aws/lambda/${this.functionName}`,
      logStreamName: `${day}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

class TimeoutError extends Error {
  public override readonly name = 'TimeoutError';
}
