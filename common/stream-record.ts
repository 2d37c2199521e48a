/**
 * The governance stream record, version 1 (documented in docs/stream-record.md).
 *
 *   byte 0-1  magic "GV" (0x47 0x56)
 *   byte 2    format version (1)
 *   byte 3    flags: bit 0 = payload is gzip-compressed; other bits must be 0
 *   byte 4..  payload: one OTLP ExportTraceServiceRequest, protobuf-encoded
 *
 * The layer writes it, the aggregator reads it: this file is the single definition both import.
 */
// zlib is loaded on first use (process.getBuiltinModule): most records are small and never compressed,
// and every module loaded at require time adds to a function's cold start.
const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

export const RECORD_MAGIC_0 = 0x47;
export const RECORD_MAGIC_1 = 0x56;
export const RECORD_VERSION = 1;
export const RECORD_FLAG_GZIP = 0x01;
export const RECORD_HEADER_BYTES = 4;
/** Kinesis caps a record (data + partition key) at 1 MiB; we keep a margin for the key. */
export const MAX_RECORD_BYTES = 1_048_576 - 1_024;
/** Payloads at least this large are gzip-compressed. */
export const GZIP_THRESHOLD_BYTES = 8_192;
/** A decoded payload larger than this is refused (a gzip bomb guard). */
export const MAX_DECODED_PAYLOAD_BYTES = 16 * 1_048_576;

export class StreamRecordError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamRecordError';
  }
}

/** Wraps an OTLP protobuf payload in a version-1 record, compressing it when that pays. */
export function encodeStreamRecord(otlpProtobuf: Uint8Array): Uint8Array {
  const gzip = otlpProtobuf.length >= GZIP_THRESHOLD_BYTES;
  const payload = gzip ? zlib().gzipSync(otlpProtobuf, { level: 1 }) : otlpProtobuf;
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  record[0] = RECORD_MAGIC_0;
  record[1] = RECORD_MAGIC_1;
  record[2] = RECORD_VERSION;
  record[3] = gzip ? RECORD_FLAG_GZIP : 0;
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

/** Returns the OTLP protobuf payload of a record, or throws StreamRecordError naming what is wrong. */
export function decodeStreamRecord(record: Uint8Array): Uint8Array {
  if (record.length < RECORD_HEADER_BYTES) {
    throw new StreamRecordError(`record too short: ${record.length} bytes, header needs ${RECORD_HEADER_BYTES}`);
  }
  if (record[0] !== RECORD_MAGIC_0 || record[1] !== RECORD_MAGIC_1) {
    throw new StreamRecordError('not a governance record: bad magic bytes');
  }
  if (record[2] !== RECORD_VERSION) {
    throw new StreamRecordError(`unsupported record version ${record[2]}; this reader understands ${RECORD_VERSION}`);
  }
  const flags = record[3]!;
  if ((flags & ~RECORD_FLAG_GZIP) !== 0) {
    throw new StreamRecordError(`unknown record flags 0x${flags.toString(16)}`);
  }
  const payload = record.subarray(RECORD_HEADER_BYTES);
  if ((flags & RECORD_FLAG_GZIP) === 0) return payload;
  try {
    return zlib().gunzipSync(payload, { maxOutputLength: MAX_DECODED_PAYLOAD_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new StreamRecordError(`record payload decompresses to more than ${MAX_DECODED_PAYLOAD_BYTES} bytes`, { cause: error });
    }
    throw new StreamRecordError('record payload is not valid gzip', { cause: error });
  }
}
