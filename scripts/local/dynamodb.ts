/**
 * DynamoDB on 127.0.0.1: dynalite in-process (real DynamoDB semantics for conditions and ADD; no transactions,
 * no TTL purging), the ledger table as the pipeline deploys it, and a proxy that simulates a process dying
 * between two writes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';

interface DynaliteServer { listen(port: number, host: string, cb: () => void): void; close(cb: () => void): void; address(): AddressInfo }
const dynalite = createRequire(import.meta.url)('dynalite') as (options: { createTableMs: number }) => DynaliteServer;

export class LocalDynamoDB {
  public readonly client: DynamoDBClient;
  private constructor(private readonly server: DynaliteServer, public readonly url: string) {
    this.client = new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  public static async start(): Promise<LocalDynamoDB> {
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new LocalDynamoDB(server, `http://127.0.0.1:${server.address().port}`);
  }

  /** The ledger table: string keys pk and sk, on demand (TTL on `expiresAt` in AWS; dynalite keeps items). */
  public async createLedgerTable(name: string): Promise<void> {
    await this.client.send(new CreateTableCommand({
      TableName: name, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
  }

  /** Every item of a table (for assertions and the local run's summary). */
  public async scan(table: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: table, ...(start && { ExclusiveStartKey: start }) }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  /** Sum of consumedNanos over every shard's counter of a budget (all periods unless `periodKey`). */
  public async budgetNanos(table: string, budgetId: string, periodKey?: string): Promise<bigint> {
    const prefix = periodKey === undefined ? `C#${budgetId}#` : `C#${budgetId}#${periodKey}`;
    let sum = 0n;
    for (const item of await this.scan(table)) {
      const pk = item.pk!.S!;
      if (periodKey === undefined ? pk.startsWith(prefix) : pk === prefix) sum += BigInt(item.consumedNanos?.N ?? '0');
    }
    return sum;
  }

  public async stop(): Promise<void> {
    this.client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Sits in front of dynalite and lets the first `allow` requests through; every later one fails with a reset
 * connection, as if the process had died there. With `applyLast`, request number `allow` + 1 still reaches
 * DynamoDB and only its answer is lost: the write happened but its writer never learned it.
 */
export class DynamoCrashProxy {
  public requests = 0;
  private allow = Infinity;
  private applyLast = false;
  private constructor(private readonly server: http.Server, private readonly target: string) {}

  public static async start(target: string): Promise<DynamoCrashProxy> {
    let proxy: DynamoCrashProxy | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void proxy!.forward(req, Buffer.concat(chunks), res));
    });
    proxy = new DynamoCrashProxy(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, let `allow` more requests through, then fail all. */
  public crashAfter(allow: number, options: { applyLast?: boolean } = {}): void {
    this.requests = 0;
    this.allow = allow;
    this.applyLast = options.applyLast ?? false;
  }

  public heal(): void {
    this.allow = Infinity;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    const n = ++this.requests;
    if (n > this.allow + (this.applyLast ? 1 : 0)) {
      res.socket?.destroy();
      return;
    }
    const upstream = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers.host;
      const out = http.request(`${this.target}${req.url ?? '/'}`, { method: req.method, headers }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 500, headers: r.headers, body: Buffer.concat(parts) }));
      });
      out.on('error', reject);
      out.end(body);
    }).catch(() => undefined);
    if (upstream === undefined || n > this.allow) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(upstream.status, upstream.headers).end(upstream.body);
  }
}
