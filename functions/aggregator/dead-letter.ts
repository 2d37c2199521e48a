/**
 * The dead-letter queue (SQS): whatever can never reach Honeycomb, with the reason and where it came from, so
 * an operator can fix and replay it. One JSON message per record or event (format in docs/aggregator.md).
 * A letter that SQS does not take is reported back, and its record is retried rather than lost.
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { packBatches } from '../../common/batches.js';
import type { BatchEvent } from '../../common/honeycomb/index.js';

const DEAD_LETTER_VERSION = 1;
/** SQS takes messages and batches of up to 1 MiB; keep room for attributes. */
const MAX_MESSAGE_BYTES = 1_000_000;
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_000_000;
/** What is kept of a payload too large to carry whole; the full record stays readable on the stream. */
const HEAD_BYTES = 64 * 1024;

export interface RecordSource {
  eventSourceARN: string;
  eventID: string;
  sequenceNumber: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
}

export interface DeadLetter {
  /** Index of the record in this invocation's batch (not serialized). */
  record: number;
  code: string;
  reason: string;
  source: RecordSource;
  /** The record's bytes (for undecodable records). */
  data?: Uint8Array;
  /** The event Honeycomb refused or would refuse. */
  event?: BatchEvent;
  /** The offending log line of a CloudWatch Logs record. */
  line?: string;
  dataset?: string;
}

function payloadFields(letter: DeadLetter, room: number): Record<string, unknown> {
  const payload = letter.data !== undefined ? Buffer.from(letter.data) : Buffer.from(letter.line ?? JSON.stringify(letter.event ?? null), 'utf8');
  const name = letter.data !== undefined ? 'data' : letter.line !== undefined ? 'line' : 'event';
  const encoded = letter.data !== undefined ? payload.toString('base64') : payload.toString('utf8');
  if (encoded.length <= room) {
    return name === 'event' ? { event: letter.event } : { [name]: encoded, ...(name === 'data' && { dataEncoding: 'base64' }) };
  }
  return {
    truncated: { field: name, bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex'), headBase64: payload.subarray(0, HEAD_BYTES).toString('base64') },
  };
}

export function deadLetterBody(letter: DeadLetter, now = new Date()): string {
  const base = {
    version: DEAD_LETTER_VERSION, code: letter.code, reason: letter.reason, deadLetteredAt: now.toISOString(),
    ...(letter.dataset !== undefined && { dataset: letter.dataset }), source: letter.source,
  };
  const room = MAX_MESSAGE_BYTES - Buffer.byteLength(JSON.stringify(base)) - 256;
  return JSON.stringify({ ...base, ...payloadFields(letter, room) });
}

export class DeadLetterQueue {
  private readonly client: SQSClient;

  public constructor(private readonly queueUrl: string, region: string | undefined) {
    this.client = new SQSClient({ ...(region && { region }), maxAttempts: 3 });
  }

  /** Sends the letters; returns the records of those SQS did not take. */
  public async send(letters: readonly DeadLetter[], signal: AbortSignal): Promise<number[]> {
    const failed: number[] = [];
    const entries = letters.map((letter, i) => ({ letter, entry: this.entry(letter, i) }));
    for (const batch of packBatches(entries, (e) => Buffer.byteLength(e.entry.MessageBody!) + 64, MAX_BATCH_ENTRIES, MAX_BATCH_BYTES)) {
      try {
        const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((b) => b.entry) }), { abortSignal: signal });
        const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
        for (const b of batch) if (failedIds.has(b.entry.Id)) failed.push(b.letter.record);
      } catch {
        for (const b of batch) failed.push(b.letter.record);
      }
    }
    return failed;
  }

  private entry(letter: DeadLetter, index: number): SendMessageBatchRequestEntry {
    return {
      Id: `m${index}`, MessageBody: deadLetterBody(letter),
      MessageAttributes: { code: { DataType: 'String', StringValue: letter.code } },
    };
  }
}
