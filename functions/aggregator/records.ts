/**
 * What a stream record holds. The layer writes governance records (common/stream-record.ts); a stream fed by
 * a CloudWatch Logs subscription holds gzip'd JSON envelopes whose log lines may carry OTLP/JSON trace
 * requests. Anything else, or anything that fails to decode, is a rejection with a reason: it goes to the
 * dead-letter queue and never blocks the shard.
 */
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, type OtlpResourceSpans } from '../../common/otlp/index.js';
import { decodeStreamRecord, MAX_DECODED_PAYLOAD_BYTES, RECORD_MAGIC_0, RECORD_MAGIC_1 } from '../../common/stream-record.js';

export type RejectCode = 'undecodable-record' | 'unrecognized-record' | 'undecodable-log-line';

export interface RecordRejection {
  code: RejectCode;
  reason: string;
  /** For a log line: the line itself (the record may hold many good lines too). */
  line?: string;
}

export interface DecodedRecord {
  requests: OtlpResourceSpans[][];
  rejections: RecordRejection[];
  /** Log lines that are not trace data (START/END/REPORT, plain logs): not ours, not an error. */
  ignoredLines: number;
}

interface LogsEnvelope {
  messageType?: unknown;
  logEvents?: { message?: unknown }[];
}

const GZIP_0 = 0x1f;
const GZIP_1 = 0x8b;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decodeGovernanceRecord(data: Uint8Array): DecodedRecord {
  try {
    return { requests: [decodeTraceRequestProtobuf(decodeStreamRecord(data))], rejections: [], ignoredLines: 0 };
  } catch (error) {
    return { requests: [], rejections: [{ code: 'undecodable-record', reason: `governance record: ${message(error)}` }], ignoredLines: 0 };
  }
}

/** The JSON in a log line: the whole line, or what follows Lambda's text-format prefix (time, request id, level). */
function jsonInLine(line: string): string | undefined {
  const start = line.indexOf('{"resourceSpans"');
  return start === -1 ? undefined : line.slice(start).trimEnd();
}

function decodeLogsEnvelope(data: Uint8Array): DecodedRecord {
  let envelope: LogsEnvelope;
  try {
    envelope = JSON.parse(gunzipSync(data, { maxOutputLength: MAX_DECODED_PAYLOAD_BYTES }).toString('utf8')) as LogsEnvelope;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      ? `gzip record decompresses to more than ${MAX_DECODED_PAYLOAD_BYTES} bytes`
      : `gzip record is not a CloudWatch Logs envelope: ${message(error)}`;
    return { requests: [], rejections: [{ code: 'undecodable-record', reason }], ignoredLines: 0 };
  }
  const out: DecodedRecord = { requests: [], rejections: [], ignoredLines: 0 };
  // CloudWatch Logs sends a CONTROL_MESSAGE to check the destination is reachable: nothing to deliver.
  if (envelope.messageType === 'CONTROL_MESSAGE') return out;
  if (envelope.messageType !== 'DATA_MESSAGE' || !Array.isArray(envelope.logEvents)) {
    return { ...out, rejections: [{ code: 'unrecognized-record', reason: 'gzip JSON record is not a CloudWatch Logs DATA_MESSAGE or CONTROL_MESSAGE' }] };
  }
  for (const logEvent of envelope.logEvents) {
    const line = typeof logEvent.message === 'string' ? logEvent.message : '';
    const json = jsonInLine(line);
    if (json === undefined) {
      out.ignoredLines++;
      continue;
    }
    try {
      out.requests.push(decodeTraceRequestJson(json));
    } catch (error) {
      out.rejections.push({ code: 'undecodable-log-line', reason: `OTLP/JSON log line: ${message(error)}`, line });
    }
  }
  return out;
}

/** Decodes one Kinesis record's data (already base64-decoded). Never throws. */
export function decodeRecord(data: Uint8Array): DecodedRecord {
  if (data.length >= 2 && data[0] === RECORD_MAGIC_0 && data[1] === RECORD_MAGIC_1) return decodeGovernanceRecord(data);
  if (data.length >= 2 && data[0] === GZIP_0 && data[1] === GZIP_1) return decodeLogsEnvelope(data);
  const what = data.length === 0 ? 'empty record' : `unrecognized record (first bytes 0x${Buffer.from(data.subarray(0, 4)).toString('hex')})`;
  return { requests: [], rejections: [{ code: 'unrecognized-record', reason: `${what}: neither a governance record (GV) nor a CloudWatch Logs envelope` }], ignoredLines: 0 };
}
