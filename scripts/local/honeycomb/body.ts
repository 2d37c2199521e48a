/**
 * Request bodies as the API reads them: decompressed first (none, gzip, zstd) with a cap on what the
 * decompression may produce, so a size limit means the same thing whether or not the client compressed.
 * zstd needs zlib.zstdDecompressSync (Node 22.15+); on older Node a zstd body is refused as unreadable.
 */
import zlib from 'node:zlib';

export type DecodedBody =
  | { ok: true; body: Buffer }
  | { ok: false; problem: 'tooLarge' | 'corrupt' | 'unsupported'; detail: string };

type Decompress = (input: Buffer, options: { maxOutputLength: number }) => Buffer;
/** Missing from Node 20 and its types, hence the lookup. */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: Decompress }).zstdDecompressSync;

export function decodeBody(raw: Buffer, contentEncoding: string, maxBytes: number): DecodedBody {
  const encoding = contentEncoding.trim().toLowerCase();
  let decompress: Decompress;
  if (encoding === '' || encoding === 'identity') {
    return raw.length > maxBytes ? { ok: false, problem: 'tooLarge', detail: `body is over ${maxBytes} bytes` } : { ok: true, body: raw };
  } else if (encoding === 'gzip') {
    decompress = zlib.gunzipSync;
  } else if (encoding === 'zstd' && zstdDecompressSync) {
    decompress = zstdDecompressSync;
  } else if (encoding === 'zstd') {
    return { ok: false, problem: 'unsupported', detail: `zstd bodies need Node 22.15+ (zlib.zstdDecompressSync); this is ${process.version}` };
  } else {
    return { ok: false, problem: 'unsupported', detail: `unsupported content encoding ${encoding}` };
  }
  try {
    return { ok: true, body: decompress(raw, { maxOutputLength: maxBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, problem: 'tooLarge', detail: `decompressed body is over ${maxBytes} bytes` };
    }
    return { ok: false, problem: 'corrupt', detail: `${encoding}: ${(error as Error).message}` };
  }
}
