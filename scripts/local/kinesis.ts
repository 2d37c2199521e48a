/**
 * Local Kinesis: kinesalite on 127.0.0.1 (started through its API: its CLI has no host option and would
 * listen on every interface), helpers to create a stream and read every record back, and a fault proxy
 * that fails chosen PutRecords entries the way Kinesis reports partial failures
 * (FailedRecordCount + per-entry ErrorCode ProvisionedThroughputExceededException).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const require = createRequire(import.meta.url);

export class LocalKinesis {
  public readonly client: KinesisClient;
  private constructor(private readonly server: http.Server, public readonly url: string) {
    this.client = new KinesisClient({
      endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
    });
  }

  public static async start(): Promise<LocalKinesis> {
    const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => http.Server;
    const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new LocalKinesis(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  public async createStream(name: string, shards = 1): Promise<void> {
    await this.client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    for (let i = 0; i < 100; i++) {
      const d = await this.client.send(new DescribeStreamCommand({ StreamName: name }));
      if (d.StreamDescription?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`stream ${name} did not become ACTIVE`);
  }

  /** Every record of every shard, in shard order. */
  public async readAll(name: string): Promise<{ data: Uint8Array; partitionKey: string; sequenceNumber: string; shardId: string }[]> {
    const d = await this.client.send(new DescribeStreamCommand({ StreamName: name }));
    const out: { data: Uint8Array; partitionKey: string; sequenceNumber: string; shardId: string }[] = [];
    for (const shard of d.StreamDescription?.Shards ?? []) {
      let iterator = (await this.client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records ?? []) out.push({ data: r.Data!, partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!, shardId: shard.ShardId! });
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out;
  }

  public async stop(): Promise<void> {
    this.client.destroy();
    (this.server as http.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Sits in front of kinesalite. For PutRecords it drops the entries `failEntry` picks, forwards the rest,
 * and answers with the merged per-entry result, as Kinesis does for throttled entries.
 */
export class KinesisFaultProxy {
  public failEntry: (callIndex: number, entryIndex: number) => boolean = () => false;
  public putRecordsCalls = 0;
  private constructor(private readonly server: http.Server) {}

  public static async start(target: string): Promise<KinesisFaultProxy> {
    let proxy: KinesisFaultProxy | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void proxy!.forward(target, req, Buffer.concat(chunks), res));
    });
    proxy = new KinesisFaultProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(target: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    const isPut = String(req.headers['x-amz-target']).endsWith('.PutRecords');
    if (!isPut) {
      const upstream = await send(target, req.headers, body);
      res.writeHead(upstream.status, upstream.headers).end(upstream.body);
      return;
    }
    const call = this.putRecordsCalls++;
    const input = JSON.parse(body.toString('utf8')) as { StreamName: string; Records: unknown[] };
    const failed = input.Records.map((_, i) => this.failEntry(call, i));
    const forwarded = input.Records.filter((_, i) => !failed[i]);
    let accepted: { SequenceNumber: string; ShardId: string }[] = [];
    if (forwarded.length > 0) {
      const headers = { ...req.headers };
      delete headers['content-length'];
      const upstream = await send(target, headers, Buffer.from(JSON.stringify({ ...input, Records: forwarded })));
      if (upstream.status !== 200) {
        res.writeHead(upstream.status, upstream.headers).end(upstream.body);
        return;
      }
      accepted = (JSON.parse(upstream.body.toString('utf8')) as { Records: typeof accepted }).Records;
    }
    let next = 0;
    const records = failed.map((f) => f
      ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream (injected).' }
      : accepted[next++]);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ FailedRecordCount: failed.filter(Boolean).length, Records: records }));
  }
}

function send(target: string, headers: http.IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const clean = { ...headers, 'content-length': String(body.length) };
    delete clean.host;
    const req = http.request(target, { method: 'POST', headers: clean }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = { ...res.headers };
        delete h['content-length'];
        delete h['transfer-encoding'];
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
