/**
 * PutRecords to the governance stream. Spans become version-1 stream records (common/stream-record.ts),
 * split so each stays under Kinesis' 1 MiB record limit and each call under 500 records / 5 MiB. Records
 * that PutRecords reports as failed (throttling, internal errors) are retried inside the deadline.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeStreamRecord, MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from '../../../../common/stream-record.js';
import type { KinesisConfig } from '../config.js';
import { warnOnce } from '../logger.js';
import { loadAwsDependency, loadAwsModule } from '../../../../common/aws/load-sdk.js';
import { packBatches } from '../../../../common/batches.js';
import { waitForRetry } from '../../../../common/http/index.js';
import { DELIVERED, type ExportRequest, type ExportResult, type SpanExporter } from './types.js';

const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1_048_576 - 64 * 1024;

interface PutRecordsOutput { Records?: { ErrorCode?: string; ErrorMessage?: string }[] }
interface KinesisModule {
  KinesisClient: new (config: Record<string, unknown>) => { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<PutRecordsOutput> };
  PutRecordsCommand: new (input: { StreamName: string; Records: { Data: Uint8Array; PartitionKey: string }[] }) => unknown;
}

interface Entry { data: Uint8Array; partitionKey: string; spans: ReadableSpan[] }

export class KinesisExporter implements SpanExporter {
  private readonly sdk: KinesisModule;
  private readonly client: InstanceType<KinesisModule['KinesisClient']>;

  public constructor(private readonly config: KinesisConfig, region: string | undefined) {
    this.sdk = loadAwsModule<KinesisModule>('@aws-sdk/client-kinesis');
    const { NodeHttpHandler } = loadAwsDependency<{ NodeHttpHandler: new (options: Record<string, unknown>) => unknown }>('@aws-sdk/client-kinesis', '@smithy/node-http-handler');
    this.client = new this.sdk.KinesisClient({
      ...(region && { region }),
      // HTTP/1.1 with keep-alive: the client's HTTP/2 default exists for SubscribeToShard, which we never use.
      requestHandler: new NodeHttpHandler({
        httpAgent: { keepAlive: true },
        httpsAgent: { keepAlive: true },
        connectionTimeout: 1_000,
      }),
      maxAttempts: 3,
    });
  }

  public async export(spans: ReadableSpan[], request: ExportRequest): Promise<ExportResult> {
    const { entries, rejected } = toEntries(spans);
    let pending = entries;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const failed: Entry[] = [];
      for (const batch of packBatches(pending, (e) => e.data.length + e.partitionKey.length, MAX_RECORDS_PER_CALL, MAX_BYTES_PER_CALL)) {
        try {
          const out = await this.client.send(new this.sdk.PutRecordsCommand({
            StreamName: this.config.streamName,
            Records: batch.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
          }), { abortSignal: request.signal });
          out.Records?.forEach((record, i) => {
            if (record.ErrorCode) failed.push(batch[i]!);
          });
        } catch (error) {
          if (request.signal.aborted) return { retry: spansOf([...failed, ...remaining(pending, batch)]), rejected };
          warnOnce(`kinesis:${(error as Error).name}`, `PutRecords to ${this.config.streamName} failed: ${(error as Error).name}: ${(error as Error).message}`);
          failed.push(...batch);
        }
      }
      pending = failed;
      if (pending.length > 0 && !(await waitForRetry(attempt, request))) return { retry: spansOf(pending), rejected };
    }
    return rejected === 0 ? DELIVERED : { retry: [], rejected };
  }
}

function spansOf(entries: Entry[]): ReadableSpan[] {
  return entries.flatMap((e) => e.spans);
}

/** Entries of `pending` from `batch` on (the batch in flight and every one not yet sent). */
function remaining(pending: Entry[], batch: Entry[]): Entry[] {
  return pending.slice(pending.indexOf(batch[0]!));
}

/** Serializes spans into records under the size limit, halving the span list until each part fits. */
export function toEntries(spans: ReadableSpan[]): { entries: Entry[]; rejected: number } {
  const entries: Entry[] = [];
  let rejected = 0;
  const stack: ReadableSpan[][] = [spans];
  while (stack.length > 0) {
    const part = stack.pop()!;
    if (part.length === 0) continue;
    const payload = ProtobufTraceSerializer.serializeRequest(part) ?? new Uint8Array(0);
    if (payload.length + RECORD_HEADER_BYTES <= MAX_RECORD_BYTES) {
      entries.push({ data: encodeStreamRecord(payload), partitionKey: part[0]!.spanContext().traceId, spans: part });
    } else if (part.length === 1) {
      rejected++;
      warnOnce('kinesis-span-too-large', `a span of ${payload.length} bytes exceeds the 1 MiB Kinesis record limit; dropped`);
    } else {
      const mid = part.length >>> 1;
      stack.push(part.slice(mid), part.slice(0, mid));
    }
  }
  return { entries, rejected };
}
