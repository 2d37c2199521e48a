/**
 * The HTTP side: reads each request, logs it, lets an injected fault take it (answer, delay, hang, reset) and
 * otherwise hands it to the first route whose method and path match. /__standin/ routes (the inspection
 * surface) skip the log and the faults. It keeps track of answers it is holding back so reset and stop can
 * drop them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultList, statusFaultReply, type Fault } from './faults.js';
import { error, HONEYCOMB_ERRORS, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import type { RecordedRequest } from './store.js';

/** Above every endpoint's own cap (OTLP's 20 MiB is the largest), so each endpoint can answer its own way. */
const MAX_READ_BYTES = 32 * 1024 * 1024;
export const INSPECTION_PREFIX = '/__standin/';

export class StandInServer {
  private readonly http: http.Server;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly held = new Set<http.ServerResponse>();

  public constructor(
    private readonly context: RouteContext,
    private readonly faults: FaultList,
    private readonly routes: Route[],
    private readonly inspection: Route[],
  ) {
    this.http = http.createServer((req, res) => this.receive(req, res));
  }

  public async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Drops delayed answers and closes hung connections, so nothing from before lands later. */
  public release(): void {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  public async close(): Promise<void> {
    this.release();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_READ_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const [path = '/', search = ''] = (req.url ?? '/').split('?', 2);
      const exchange: Exchange = { method: req.method ?? 'GET', path, query: new URLSearchParams(search), headers: req.headers, body: Buffer.concat(chunks) };
      if (path.startsWith(INSPECTION_PREFIX)) return this.answer(res, this.dispatch(this.inspection, exchange, this.context));
      const record: RecordedRequest = {
        method: exchange.method, path, headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes: size, receivedAt: new Date(this.context.clock()),
      };
      this.context.store.requests.push(record);
      if (size > MAX_READ_BYTES) return this.answer(res, error(400, HONEYCOMB_ERRORS.tooLarge), record);
      const fault = this.faults.take(path);
      if (fault) record.fault = fault.kind;
      this.handle(fault, req, res, exchange, record);
    });
  }

  private handle(fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse, exchange: Exchange, record: RecordedRequest): void {
    switch (fault?.kind) {
      case 'hang':
        this.held.add(res);
        res.once('close', () => this.held.delete(res));
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'status':
        return this.answer(res, statusFaultReply(fault, exchange.path, this.context.clock()), record);
      case 'slow': {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          this.answer(res, this.dispatch(this.routes, exchange, this.context), record);
        }, fault.delayMs);
        this.delayed.add(timer);
        return;
      }
      case 'perEvent':
        return this.answer(res, this.dispatch(this.routes, exchange, { ...this.context, perEventFault: fault }), record);
      default:
        return this.answer(res, this.dispatch(this.routes, exchange, this.context), record);
    }
  }

  private dispatch(routes: Route[], exchange: Exchange, context: RouteContext): Reply {
    for (const route of routes) {
      const match = route.method === exchange.method ? route.path.exec(exchange.path) : null;
      if (!match) continue;
      try {
        return route.handle(exchange, match.slice(1), context);
      } catch (failure) {
        return error(500, `stand-in failure: ${(failure as Error).message}`);
      }
    }
    return error(404, 'not found');
  }

  private answer(res: http.ServerResponse, reply: Reply, record?: RecordedRequest): void {
    if (res.destroyed) return;
    if (record) record.status = reply.status;
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }
}
