/**
 * npm run bench:ledger: what the budget ledger costs in DynamoDB per 10,000 costed events. Workload: 10,000
 * costed spans in 5,000 Kinesis records (two LLM calls per invocation), every span matching 3 budgets (a daily,
 * a monthly and a weekly counter), delivered as 10 Lambda batches of 500 records from one shard, one batch after
 * the other as Lambda does, 32 writes in flight. Each approach runs against a fresh table, median of 5 runs
 * after a warm-up run:
 *   ours       functions/aggregator/ledger.ts, first delivery and the same 10 batches delivered again.
 *   reference  the common per-event idempotency pattern (Powertools' idempotency utility): a conditional
 *              PutItem keyed by the record's eventID, then one ADD per counter. NOT exact: a crash after the
 *              put loses the record's cost. It is the cost baseline, not an equivalent.
 *   naive      one ADD per record and counter, no idempotency (double counts every replay): the floor.
 * dynalite runs on 127.0.0.1 in its own process. Its latency is not DynamoDB's, so the times only compare the
 * approaches; requests and write units carry over. Write units are estimated from the stored items with
 * DynamoDB's rules: per write, 1 per KB of the larger of the item before and after, failed conditions included.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { counterPk, usdToNanos } from '../../common/budgets/index.js';
import type { RecordCharges } from '../../functions/aggregator/budget-charges.js';
import { Ledger, type LedgerRecord } from '../../functions/aggregator/ledger.js';
import { LocalDynamoDB } from '../local/dynamodb.js';
import { fixed, percentile, printTable, ratio, runBenchmark, track } from './util.js';

const RECORDS = 5_000;
const SPANS_PER_RECORD = 2;
const BATCH = 500;
const BATCHES = RECORDS / BATCH;
const WARMUP = 1;
const RUNS = 5;
const CONCURRENCY = 32;
const SHARD = 'stream/shardId-000000000000';
const COUNTERS = [counterPk('everything', '2026-11-21'), counterPk('team-a', '2026-11'), counterPk('model-x', '2026-W47')];
/** The aggregator's default (AGGREGATOR_LEDGER_CLAIM_TTL_HOURS = 192). */
const CLAIM_TTL_SECONDS = 192 * 3600;
/** DynamoDB on demand, us-east-1: per million write / read request units. */
const USD_PER_WRU = 0.625 / 1e6;
const USD_PER_RRU = 0.125 / 1e6;

type Item = Record<string, AttributeValue>;
type Approach = 'ours' | 'reference' | 'naive';
interface Measured { requests: number; ms: number }

interface Reply { url?: string; items?: Item[] }

/** The child process: dynalite, which creates a table ({ create }) or returns every item of one ({ scan }). */
async function serve(): Promise<void> {
  const db = await LocalDynamoDB.start();
  process.on('message', (m: { create?: string; scan?: string }) => void (m.create !== undefined
    ? db.createLedgerTable(m.create).then(() => process.send!({}))
    : db.scan(m.scan!).then((items) => process.send!({ items }))));
  process.on('disconnect', () => void db.stop().finally(() => process.exit(0)));
  process.send!({ url: db.url });
}

/** Starts dynalite in its own process and points the SDK at it; returns how to ask it something. */
async function startDynamo(): Promise<(message: { create: string } | { scan: string }) => Promise<Reply>> {
  const child = track(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (): Promise<Reply> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dynalite did not answer')), 30_000);
    child.once('message', (m) => (clearTimeout(timer), resolve(m as Reply)));
  });
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: (await next()).url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' });
  return (message) => {
    const answer = next();
    child.send(message);
    return answer;
  };
}

/** 10 batches of 500 records; each record's 2 spans summed per counter, as BudgetChargeRules.charge does. */
function workload(): { batches: LedgerRecord[][]; nanos: bigint } {
  let total = 0n;
  const batches = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, index): LedgerRecord => {
    const i = b * BATCH + index;
    const nanos = usdToNanos(0.000375 + (i % 101) * 0.0000125) + usdToNanos(0.00121 + (i % 37) * 0.0000031);
    total += BigInt(nanos);
    const charges: RecordCharges = new Map(COUNTERS.map((c) => [c, { nanos, events: SPANS_PER_RECORD }]));
    // 56-digit sequence numbers, increasing along the shard.
    return { index, id: `${SHARD}:${BigInt(`4965${'0'.repeat(52)}`) + BigInt(i) * 1_000n}`, shard: SHARD, charges };
  }));
  return { batches, nanos: total };
}

async function ours(table: string, batches: LedgerRecord[][], expect: 'charged' | 'alreadyCharged'): Promise<Measured> {
  const ledger = new Ledger({ table, region: 'us-east-1', claimTtlSeconds: CLAIM_TTL_SECONDS, concurrency: CONCURRENCY });
  let requests = 0;
  const start = performance.now();
  try {
    for (const batch of batches) {
      const result = await ledger.apply(batch, Date.now() + 600_000);
      if (result.failedFrom !== undefined || result[expect] !== batch.length) throw new Error(`ledger: ${JSON.stringify(result)}`);
      requests += result.calls;
    }
    return { requests, ms: performance.now() - start };
  } finally {
    ledger.destroy();
  }
}

/** The reference (idempotent = true) and the naive approach, each record's writes one after the other. */
async function perRecord(table: string, batches: LedgerRecord[][], idempotent: boolean): Promise<Measured> {
  const client = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 3 });
  let requests = 0;
  const send = (command: PutItemCommand | UpdateItemCommand): Promise<unknown> => client.send(command as never).finally(() => requests++);
  const expiresAt = String(Math.floor(Date.now() / 1000) + CLAIM_TTL_SECONDS);
  const one = async (r: LedgerRecord): Promise<void> => {
    if (idempotent) {
      try {
        await send(new PutItemCommand({
          TableName: table, Item: { pk: { S: `E#${r.id}` }, sk: { S: 'idempotency' }, expiresAt: { N: expiresAt } }, ConditionExpression: 'attribute_not_exists(pk)',
        }));
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return;
        throw error;
      }
    }
    for (const [counter, c] of r.charges) {
      await send(new UpdateItemCommand({
        TableName: table, Key: { pk: { S: counter }, sk: { S: r.shard } }, UpdateExpression: 'ADD consumedNanos :nanos, events :events',
        ExpressionAttributeValues: { ':nanos': { N: String(c.nanos) }, ':events': { N: String(c.events) } },
      }));
    }
  };
  const start = performance.now();
  try {
    for (const batch of batches) {
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length) await one(batch[next++]!);
      }));
    }
    return { requests, ms: performance.now() - start };
  } finally {
    client.destroy();
  }
}

/** Every counter must hold exactly the workload's charges. */
async function checkCounters(client: DynamoDBClient, table: string, nanos: bigint): Promise<void> {
  for (const counter of COUNTERS) {
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: counter }, sk: { S: SHARD } }, ConsistentRead: true }));
    if (Item?.consumedNanos?.N !== String(nanos) || Item.events?.N !== String(RECORDS * SPANS_PER_RECORD)) {
      throw new Error(`${table}: ${counter} holds ${Item?.consumedNanos?.N} nano-USD / ${Item?.events?.N} spans, expected ${nanos} / ${RECORDS * SPANS_PER_RECORD}`);
    }
  }
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers ~1 byte per 2 digits + 1). */
function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, v] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (v.S !== undefined) bytes += Buffer.byteLength(v.S);
    else if (v.N !== undefined) bytes += 1 + Math.ceil(v.N.replace(/[-.]/g, '').replace(/^0+|0+$/g, '').length / 2);
    else if (v.SS !== undefined) bytes += v.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    else throw new Error(`no size rule for ${name}`);
  }
  return bytes;
}
const wru = (item: Item): number => Math.max(1, Math.ceil(itemBytes(item) / 1024));
const sum = (items: Item[], f: (item: Item) => number): number => items.reduce((s, item) => s + f(item), 0);
const prefixed = (items: Item[], prefix: string): Item[] => items.filter((item) => item.pk!.S!.startsWith(prefix));
/** An intent as it was before its later writes: without those attributes, in the given state. */
const intentAs = (item: Item, state: string, without: string[]): Item =>
  ({ ...Object.fromEntries(Object.entries(item).filter(([name]) => !without.includes(name))), state: { S: state } });

interface Units { wru: number; rru: number; requests: number }
/** a/b, with 3 decimals below 0.1 (a redelivery costs a small fraction of the reference's). */
const ratioOf = (a: number, b: number): string => (b > 0 && a / b < 0.1 ? `${(a / b).toFixed(3)}x` : ratio(a, b));

/** Write and read units of each row, and the requests they imply (checked against the counted ones). */
function estimate(tables: Record<Approach, Item[]>): Record<string, Units> {
  const states = prefixed(tables.ours, 'I#').filter((item) => item.sk!.S === 'intent');
  const records = prefixed(tables.ours, 'I#').filter((item) => item.sk!.S === 'records');
  const claims = prefixed(tables.ours, 'R#');
  const counters = (a: Approach): Item[] => prefixed(tables[a], 'C#');
  const marks = prefixed(tables.reference, 'E#');
  // Intent: the records item put once; the state item put (claiming), finalized (ready: + deltas, foreign, owned), done (+ doneAt).
  const intentWrites = sum(records, wru) + sum(states, (i) => wru(intentAs(i, 'claiming', ['deltas', 'foreignIntents', 'ownedRecords', 'doneAt'])) + wru(intentAs(i, 'ready', ['doneAt'])) + wru(i));
  return {
    ours: { wru: intentWrites + sum(claims, wru) + BATCHES * sum(counters('ours'), wru), rru: 0, requests: 4 * states.length + claims.length + BATCHES * counters('ours').length },
    // Redelivered: both puts fail on the stored items (still charged), then one consistent query reads both and finds it done.
    oursAgain: {
      wru: sum(records, wru) + sum(states, wru),
      rru: sum(states, (state) => Math.max(1, Math.ceil((itemBytes(state) + itemBytes(records.find((r) => r.pk!.S === state.pk!.S)!)) / 4096))),
      requests: 3 * states.length,
    },
    reference: { wru: sum(marks, wru) + RECORDS * sum(counters('reference'), wru), rru: 0, requests: marks.length + RECORDS * counters('reference').length },
    referenceAgain: { wru: sum(marks, wru), rru: 0, requests: marks.length },
    naive: { wru: RECORDS * sum(counters('naive'), wru), rru: 0, requests: RECORDS * counters('naive').length },
  };
}

/** Each kind of process warning printed once (the ledger's signal warns once per batch), counted at the end. */
const warnings = new Map<string, number>();
function countWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (!warnings.has(w.name)) console.error(`(${w.name}: ${w.message})`);
    warnings.set(w.name, (warnings.get(w.name) ?? 0) + 1);
  });
}

async function main(): Promise<void> {
  countWarnings();
  const dynamo = await startDynamo();
  const client = new DynamoDBClient({ maxAttempts: 3 });
  const { batches, nanos } = workload();
  const runs: Record<string, Measured[]> = { ours: [], oursAgain: [], reference: [], referenceAgain: [], naive: [] };
  const last = {} as Record<Approach, string>;
  console.log(`bench:ledger on ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores), node ${process.version}, dynalite on 127.0.0.1 (own process)`);
  console.log(`workload: ${RECORDS * SPANS_PER_RECORD} costed spans in ${RECORDS} records (${SPANS_PER_RECORD} per record), ${COUNTERS.length} budgets per span, ${BATCHES} batches of ${BATCH} records on one shard, concurrency ${CONCURRENCY}`);
  const approaches: Approach[] = ['ours', 'reference', 'naive'];
  for (let run = 0; run < WARMUP + RUNS; run++) {
    for (let k = 0; k < approaches.length; k++) {
      // Rotate the order so drift does not favour one approach.
      const approach = approaches[(run + k) % approaches.length]!;
      const table = (last[approach] = `${approach}-${run}`);
      await dynamo({ create: table });
      const first = approach === 'ours' ? await ours(table, batches, 'charged') : await perRecord(table, batches, approach === 'reference');
      await checkCounters(client, table, nanos);
      const again = approach === 'ours' ? await ours(table, batches, 'alreadyCharged') : approach === 'reference' ? await perRecord(table, batches, true) : undefined;
      if (again) await checkCounters(client, table, nanos);
      if (run < WARMUP) continue;
      runs[approach]!.push(first);
      if (again) runs[`${approach}Again`]!.push(again);
    }
  }
  const stored = {} as Record<Approach, Item[]>;
  for (const a of approaches) stored[a] = (await dynamo({ scan: last[a] })).items!;
  const units = estimate(stored);
  const median = (key: string, pick: (m: Measured) => number): number => percentile(runs[key]!.map(pick), 0.5);
  const usd = (u: Units): number => u.wru * USD_PER_WRU + u.rru * USD_PER_RRU;
  const rows: Array<[string, string, string | undefined]> = [
    ['ours, first delivery', 'ours', 'reference'], ['ours, redelivered', 'oursAgain', 'referenceAgain'],
    ['reference, first delivery', 'reference', undefined], ['reference, redelivered', 'referenceAgain', undefined], ['naive, first delivery (floor)', 'naive', undefined],
  ];
  console.log(`\nPer 10,000 events (${BATCHES} batches), median of ${RUNS} runs after ${WARMUP} warm-up; counters checked exact after every delivery`);
  printTable(['approach', 'requests', 'ms', 'ms range', 'req ours/ref', 'ms ours/ref', 'WCU', 'RRU', 'USD', 'USD ours/ref'], rows.map(([label, key, ref]) => [
    label, fixed(median(key, (m) => m.requests), 0), fixed(median(key, (m) => m.ms), 0),
    `${fixed(Math.min(...runs[key]!.map((m) => m.ms)), 0)}-${fixed(Math.max(...runs[key]!.map((m) => m.ms)), 0)}`,
    ref ? ratioOf(median(key, (m) => m.requests), median(ref, (m) => m.requests)) : '', ref ? ratioOf(median(key, (m) => m.ms), median(ref, (m) => m.ms)) : '',
    String(units[key]!.wru), String(units[key]!.rru), `$${usd(units[key]!).toFixed(5)}`, ref ? ratioOf(usd(units[key]!), usd(units[ref]!)) : '',
  ]));
  for (const [label, key] of rows) {
    if (units[key]!.requests !== median(key, (m) => m.requests)) console.log(`  WARNING ${label}: ${median(key, (m) => m.requests)} requests counted, the unit estimate assumes ${units[key]!.requests}`);
  }
  const intent = prefixed(stored.ours, 'I#').find((item) => item.sk!.S === 'records')!;
  const intentState = prefixed(stored.ours, 'I#').find((item) => item.sk!.S === 'intent')!;
  const counter = prefixed(stored.ours, 'C#')[0]!;
  const tokenBytes = Buffer.byteLength(counter.applied!.SS![0]!);
  console.log(`\n  WCU: write units estimated for DynamoDB from the stored items (1 per KB of the larger of the item before and after the write,`);
  console.log('  failed conditions included; on demand, 1 WCU = 1 write request unit); RRU: read units (1 per 4 KB, consistent).');
  console.log('  USD: on demand, $0.625 per million write and $0.125 per million read request units.');
  console.log(`  ours: per batch an intent records item of ${fixed(itemBytes(intent) / 1024, 1)} KiB for ${BATCH} records written once (${wru(intent)} WCU) and a ${itemBytes(intentState)}-byte state item written 3 times,`);
  console.log(`  one claim per record, ${COUNTERS.length} counter ADDs per batch.`);
  console.log(`  A counter also keeps one ${tokenBytes}-byte token per batch for 30 min: at one batch per second per shard, each ADD would cost ~${Math.ceil((itemBytes(counter) + (1800 - BATCHES) * tokenBytes) / 1024)} WCU.`);
  console.log('  reference: NOT exact under a crash between its writes (a crash after the idempotency put loses the cost): the cost baseline, not an');
  console.log('  equivalent. Powertools also marks each record COMPLETED (+1 write per record); omitted here, so the reference is its cheapest form.');
  console.log('  reference and naive send every ADD to the same 3 items; in DynamoDB one item takes at most 1,000 WCU/s.');
  console.log('  ms: dynalite on 127.0.0.1, not DynamoDB latency; requests and units are what carry over.');
  for (const [name, n] of warnings) if (n > 1) console.log(`  (${name} raised ${n} times in this process)`);
}

if (process.argv[2] === 'serve') {
  await serve();
} else {
  await runBenchmark(main);
}
