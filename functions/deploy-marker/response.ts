/**
 * The answer to CloudFormation: a PUT of the JSON result to the request's ResponseURL, an S3 pre-signed URL.
 * The signature covers an empty content-type, so that header is sent empty. S3 refuses a body over 4096 bytes,
 * so the Reason is cut to fit. Network errors, timeouts, 429 and 5xx are retried with backoff inside the
 * deadline; any other 4xx (an expired or altered URL) is final.
 */
import type http from 'node:http';
import { abortAfter } from '../../common/async.js';
import { retryAfterMs, waitForRetry } from '../../common/http/index.js';

export interface CfnResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: false;
  Data: Record<string, string>;
}

export interface Delivery {
  delivered: boolean;
  attempts: number;
  /** Why the last attempt failed, when it did (status and S3 error code, or the network error's code). */
  failure?: string;
}

/** Below S3's 4096-byte limit for the response object, with room to spare. */
export const MAX_RESPONSE_BYTES = 4_000;
const MAX_ATTEMPTS = 5;
const ATTEMPT_TIMEOUT_MS = 10_000;
const BACKOFF = { baseMs: 250, maxMs: 2_000 };

/** The JSON body, with the Reason cut to the longest beginning that fits. Data values are kept short by the caller. */
export function responseBody(response: CfnResponse): string {
  const body = JSON.stringify(response);
  if (Buffer.byteLength(body) <= MAX_RESPONSE_BYTES) return body;
  const reason = response.Reason;
  const cut = (chars: number): string => JSON.stringify({ ...response, Reason: chars === 0 ? '' : `${reason.slice(0, chars)}…` });
  // Characters take 1 to 6 bytes once JSON-escaped, so the longest fitting beginning is searched for. A cut
  // inside a surrogate pair never wins: the lone half is escaped to 6 bytes, more than the whole pair takes.
  let fits = 0;
  let tooLong = reason.length;
  while (tooLong - fits > 1) {
    const mid = Math.floor((fits + tooLong) / 2);
    if (Buffer.byteLength(cut(mid)) <= MAX_RESPONSE_BYTES) fits = mid;
    else tooLong = mid;
  }
  return cut(fits);
}

/** S3 explains a refusal in an XML <Code>; only that is kept (the rest echoes the signature). */
const s3Code = (body: string): string | undefined => /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];

function put(url: URL, body: Buffer, signal: AbortSignal): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const client = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): a pooled one may have died while the process was frozen.
    const req = client.request(url, {
      method: 'PUT', agent: false, signal, headers: { 'content-type': '', 'content-length': String(body.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 4_096) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** PUTs the response; never throws. The first attempt gets at least one second, even past the deadline. */
export async function sendResponse(responseUrl: string, response: CfnResponse, deadline: number): Promise<Delivery> {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return { delivered: false, attempts: 0, failure: 'the ResponseURL is not a URL' };
  }
  const body = Buffer.from(responseBody(response));
  let failure = 'no attempt';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const request = abortAfter(Math.max(attempt === 0 ? 1_000 : 1, Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now())));
    let retryAfter: number | undefined;
    try {
      const answer = await put(url, body, request.signal);
      if (answer.status >= 200 && answer.status < 300) return { delivered: true, attempts: attempt + 1 };
      const code = s3Code(answer.text);
      failure = `HTTP ${answer.status}${code ? ` ${code}` : ''}`;
      if (answer.status < 500 && answer.status !== 429) return { delivered: false, attempts: attempt + 1, failure };
      retryAfter = retryAfterMs(answer.headers['retry-after']);
    } catch (error) {
      failure = request.signal.aborted ? 'request timed out' : `network: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`;
    } finally {
      request.cancel();
    }
    if (attempt + 1 === MAX_ATTEMPTS || !(await waitForRetry(attempt, { signal: new AbortController().signal, deadline }, retryAfter, BACKOFF))) {
      return { delivered: false, attempts: attempt + 1, failure };
    }
  }
  return { delivered: false, attempts: MAX_ATTEMPTS, failure };
}
