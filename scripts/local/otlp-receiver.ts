/**
 * A local OTLP/HTTP trace receiver: POST /v1/traces in protobuf or JSON, gzip or not, answered the way
 * Honeycomb's ingest does (200 with an empty ExportTraceServiceResponse in the request's encoding; 401 for a
 * missing or wrong x-honeycomb-team; 415 for other content types). It keeps what it decoded, and faults can
 * be switched on per test: a status code (with Retry-After), a slow answer, a connection that hangs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, type OtlpResourceSpans, type OtlpSpan } from '../../common/otlp/index.js';

export interface ReceivedSpan extends OtlpSpan {
  resource: OtlpResourceSpans['resource'];
  scope: string;
}

export interface ReceivedRequest {
  contentType: string;
  contentEncoding: string;
  headers: http.IncomingHttpHeaders;
  spanCount: number;
}

export type ReceiverFault =
  | { kind: 'status'; status: number; retryAfter?: string; times?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' };

export class OtlpReceiver {
  public readonly spans: ReceivedSpan[] = [];
  public readonly requests: ReceivedRequest[] = [];
  private fault?: ReceiverFault;
  private faultUses = 0;
  /** When set, requests must carry this x-honeycomb-team value. */
  public requiredApiKey?: string;
  private readonly server: http.Server;
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  public static async start(options: { keepAliveTimeoutMs?: number } = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    if (options.keepAliveTimeoutMs !== undefined) receiver.server.keepAliveTimeout = options.keepAliveTimeoutMs;
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  public get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  public setFault(fault: ReceiverFault | undefined): void {
    this.fault = fault;
    this.faultUses = 0;
  }

  /** Forgets what arrived, and drops answers a slow fault still holds back so they cannot land later. */
  public clear(): void {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.spans.length = 0;
    this.requests.length = 0;
  }

  public async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fault = this.fault;
      if (fault?.kind === 'hang') return; // never answer; the socket stays open
      if (fault?.kind === 'slow') {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          this.answer(req, Buffer.concat(chunks), res);
        }, fault.delayMs);
        this.delayed.add(timer);
        return;
      }
      if (fault?.kind === 'status' && (fault.times === undefined || this.faultUses < fault.times)) {
        this.faultUses++;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter && { 'retry-after': fault.retryAfter }) });
        res.end(JSON.stringify({ message: `injected ${fault.status}` }));
        return;
      }
      this.answer(req, Buffer.concat(chunks), res);
    });
  }

  private answer(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const isProtobuf = contentType.startsWith('application/x-protobuf') || contentType.startsWith('application/protobuf');
    if (!isProtobuf && !contentType.startsWith('application/json')) {
      res.writeHead(415, { 'content-type': 'text/plain' }).end('unsupported content-type, valid types are: application/protobuf, application/x-protobuf, application/json');
      return;
    }
    const team = req.headers['x-honeycomb-team'];
    if (this.requiredApiKey !== undefined && team !== this.requiredApiKey) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: team ? 'invalid API key' : "missing 'x-honeycomb-team' header" }));
      return;
    }
    let resourceSpans: OtlpResourceSpans[];
    try {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      resourceSpans = isProtobuf ? decodeTraceRequestProtobuf(body) : decodeTraceRequestJson(body.toString('utf8'));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `failed to parse OTLP request body: ${(error as Error).message}` }));
      return;
    }
    let count = 0;
    for (const rs of resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          this.spans.push({ ...span, resource: rs.resource, scope: ss.scope.name });
          count++;
        }
      }
    }
    this.requests.push({ contentType, contentEncoding: String(req.headers['content-encoding'] ?? ''), headers: req.headers, spanCount: count });
    res.writeHead(200, { 'content-type': isProtobuf ? 'application/x-protobuf' : 'application/json' });
    res.end(isProtobuf ? Buffer.alloc(0) : '{}');
  }
}
