/**
 * POST over node:http(s) with a keep-alive agent. Lambda freezes the process between invocations; a pooled
 * socket that the server closed meanwhile fails on first use (ECONNRESET/EPIPE). Such a request never reached
 * the server, so it is retried once at once on a fresh socket, the pattern Node's documentation gives.
 * Only the module the endpoint's scheme needs is loaded (https pulls in tls and crypto).
 */
import type http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

type Method = 'GET' | 'POST' | 'PUT';

export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  /** `maxResponseBytes` bounds what is kept of a response body (a /1/batch answer holds one status per event). */
  public constructor(private readonly url: URL, private readonly maxResponseBytes = 64 * 1024) {
    const client = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    this.agent = new client.Agent({ keepAlive: true, maxSockets: 8, scheduling: 'lifo' });
    this.request = client.request;
  }

  public post(body: Uint8Array, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    return this.call('POST', body, headers, signal);
  }

  public put(body: Uint8Array, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    return this.call('PUT', body, headers, signal);
  }

  public get(headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    return this.call('GET', new Uint8Array(0), headers, signal);
  }

  private async call(method: Method, body: Uint8Array, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    try {
      return await this.send(method, body, headers, signal);
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
      if (e.reusedSocket && e.code !== undefined && STALE_SOCKET_CODES.has(e.code) && !signal.aborted) {
        return this.send(method, body, headers, signal);
      }
      throw error;
    }
  }

  private send(method: Method, body: Uint8Array, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = this.request(this.url, {
        method, agent: this.agent, signal,
        headers: method === 'GET' ? headers : { ...headers, 'content-length': String(body.length) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= this.maxResponseBytes) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        error.reusedSocket = req.reusedSocket;
        reject(error);
      });
      if (method === 'GET') req.end();
      else req.end(body);
    });
  }
}
