/**
 * A local Lambda execution environment: a Runtime API on 127.0.0.1 and a child Node process running
 * lambda-bootstrap.mjs. After each response the child is frozen (SIGSTOP, confirmed through /proc) and
 * stays frozen until the next invoke() or thaw(), which is what Lambda does between invocations. Whatever
 * a sink holds while the child is frozen is what a real function would have delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const BOOTSTRAP = join(dirname(fileURLToPath(import.meta.url)), 'lambda-bootstrap.mjs');

export interface LocalLambdaOptions {
  /** `path/to/file.cjs#exportName` */
  handler: string;
  env?: Record<string, string>;
  functionName?: string;
  timeoutMs?: number;
  memoryMb?: number;
  /** Extra NODE_PATH entries, searched after the layer like /opt/nodejs/node_modules then /var/runtime. */
  nodePath?: string[];
  /** false keeps the process running between invocations (for comparison runs only). */
  freeze?: boolean;
  /** Receives the child's stdout/stderr lines (function logs). */
  onLog?: (line: string) => void;
}

export interface InvocationOutcome {
  requestId: string;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  /** From the invoke call to the response, in ms, as the caller would measure it. */
  durationMs: number;
}

interface Pending {
  id: string;
  event: unknown;
  startedAt: number;
  resolve: (outcome: InvocationOutcome) => void;
  reject: (error: Error) => void;
}

export class LocalLambda {
  private readonly server: http.Server;
  private child?: ChildProcess;
  private queue: Pending[] = [];
  private inFlight?: Pending;
  private parked?: http.ServerResponse;
  private frozen = false;
  private initError?: string;
  public readonly logs: string[] = [];

  private constructor(private readonly options: LocalLambdaOptions) {
    this.server = http.createServer((req, res) => this.route(req, res));
  }

  public static async start(options: LocalLambdaOptions): Promise<LocalLambda> {
    const lambda = new LocalLambda(options);
    await new Promise<void>((resolve) => lambda.server.listen(0, '127.0.0.1', resolve));
    lambda.spawn();
    return lambda;
  }

  public get pid(): number | undefined {
    return this.child?.pid;
  }

  public get isFrozen(): boolean {
    return this.frozen;
  }

  /** Invokes the function; resolves once the response is out and the process is frozen. */
  public async invoke(event: unknown): Promise<InvocationOutcome> {
    if (this.initError) throw new Error(`init failed: ${this.initError}`);
    this.thaw();
    return new Promise((resolve, reject) => {
      this.queue.push({ id: randomUUID(), event, startedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /** Resumes a frozen process (what Lambda does when the next invocation arrives). */
  public thaw(): void {
    if (this.frozen && this.child?.pid) {
      this.frozen = false;
      process.kill(this.child.pid, 'SIGCONT');
    }
  }

  public async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    this.parked?.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private spawn(): void {
    const { port } = this.server.address() as AddressInfo;
    const functionName = this.options.functionName ?? 'governed-function';
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      LOCAL_LAMBDA_HANDLER: this.options.handler,
      LOCAL_LAMBDA_FREEZE: this.options.freeze === false ? 'off' : 'on',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.options.memoryMb ?? 512),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `2026/11/21/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      NODE_PATH: (this.options.nodePath ?? []).join(':'),
      ...this.options.env,
    };
    const child = spawn(process.execPath, [BOOTSTRAP], { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.child = child;
    const onLine = (line: string): void => {
      this.logs.push(line);
      this.options.onLog?.(line);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => void this.onResponse(line));
    child.on('exit', (code, signal) => {
      const error = new Error(`execution environment exited (code ${code}, signal ${signal})${this.initError ? `: ${this.initError}` : ''}`);
      this.inFlight?.reject(error);
      for (const p of this.queue) p.reject(error);
      this.inFlight = undefined;
      this.queue = [];
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/2018-06-01/runtime/invocation/next') {
        this.parked = res;
        this.dispatch();
      } else if (req.method === 'POST' && req.url === '/2018-06-01/runtime/init/error') {
        this.initError = Buffer.concat(chunks).toString('utf8');
        res.writeHead(202).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  }

  private dispatch(): void {
    if (!this.parked || this.inFlight || this.queue.length === 0) return;
    const next = this.queue.shift()!;
    this.inFlight = next;
    const res = this.parked;
    this.parked = undefined;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
      'lambda-runtime-invoked-function-arn': `arn:aws:lambda:us-east-1:123456789012:function:${this.options.functionName ?? 'governed-function'}`,
    });
    res.end(JSON.stringify(next.event));
  }

  private async onResponse(line: string): Promise<void> {
    const message = JSON.parse(line) as { id?: string; result?: unknown; error?: InvocationOutcome['error']; initError?: { errorMessage: string } };
    if (message.initError) {
      this.initError = message.initError.errorMessage;
      return;
    }
    const pending = this.inFlight;
    if (!pending || pending.id !== message.id) return;
    const durationMs = performance.now() - pending.startedAt;
    if (this.options.freeze !== false) await this.waitUntilStopped();
    this.inFlight = undefined;
    const outcome: InvocationOutcome = { requestId: pending.id, durationMs };
    if (message.error) outcome.error = message.error;
    else outcome.result = message.result;
    pending.resolve(outcome);
  }

  /** Polls /proc/<pid>/stat until the child is in state T (stopped). */
  private async waitUntilStopped(): Promise<void> {
    const pid = this.child!.pid!;
    for (let i = 0; i < 2000; i++) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'T' || state === 't') {
        this.frozen = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('execution environment did not stop after its response');
  }
}
