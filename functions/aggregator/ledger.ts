/**
 * The budget ledger (DynamoDB): each costed record's charges are added to every matching budget period's
 * counter exactly once, although Kinesis delivers at least once, a batch may be replayed from any record, two
 * invocations may hold the same records in any order, and an invocation may die between any two writes.
 * There are no transactions (dynalite has none, and they would double the write cost): only single-item
 * atomic writes. The argument that this is exact is in docs/budgets.md; in short:
 *
 *   intent   per batch (its id is a hash of the batch's record identities), written first: every record's
 *            charges in one item written once, and a small state item: claiming → ready → done.
 *   claim    one item per record naming the first intent that claimed it (SET owner = if_not_exists(...)):
 *            a record belongs to exactly one intent, until the claim expires after the stream's retention.
 *   counter  one ADD per counter of the intent's owned charges, together with the intent's token, on the
 *            condition that the token is not there yet: whoever applies an intent, it lands once.
 *   done     an intent is complete. Anyone who meets a claim owned by an intent that is not done completes
 *            that intent before acknowledging the record, so no acknowledged record is left uncounted.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  BatchGetItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { abortAfter, forEachLimit } from '../../common/async.js';
import type { RecordCharges } from './budget-charges.js';

/** A counter's token for an intent stays until the intent is done and this long has passed: longer than any
 * invocation (15 min at most) that may still hold an older view of the intent and try to apply it again. */
const TOKEN_HORIZON_MS = 30 * 60_000;
/** Tokens are swept from a counter once this many are past the horizon. */
const SWEEP_AT = 16;
const BATCH_GET_KEYS = 100;
/** An intent holds its records' charges; DynamoDB items stop at 400 KB, so a large batch gets several intents. */
const MAX_INTENT_BYTES = 200_000;

export interface LedgerRecord {
  /** Position in the invocation's batch. */
  index: number;
  /** Identity across redeliveries: stream name / eventID (shard id and sequence number). */
  id: string;
  /** Stream name / shard id: counters are kept per shard, so shards never contend for one item. */
  shard: string;
  charges: RecordCharges;
}

export interface LedgerOptions {
  table: string;
  region?: string;
  /** How long claims and intents are kept (DynamoDB TTL): longer than the stream's retention. */
  claimTtlSeconds: number;
  /** Writes in flight at once. */
  concurrency: number;
}

export interface LedgerResult {
  /** Costed records whose charges this call added. */
  charged: number;
  /** Costed records an earlier or concurrent delivery had charged. */
  alreadyCharged: number;
  /** DynamoDB requests made. */
  calls: number;
  /** The earliest record whose charges are not known to be in the ledger; replay must start there. */
  failedFrom?: number;
  error?: string;
}

/** [counter partition key, nano-USD, spans] */
type Delta = [string, number, number];
/** [record id, its deltas] */
type EncodedRecord = [string, Delta[]];

interface Intent {
  id: string;
  shard: string;
  /** Unix seconds; part of the token, so every actor derives the same one. */
  createdAt: number;
  records: EncodedRecord[];
  state: 'claiming' | 'ready' | 'done';
  /** Sums over the records this intent owns (from `ready`). */
  deltas?: Delta[];
  /** Intents owning some of this intent's records (from `ready`). */
  foreign?: string[];
  /** How many of the records this intent owns (from `ready`). */
  owned?: number;
}

/** The intent's state (small, updated); its records' charges live in a second item, written once. */
const intentKey = (id: string): Record<string, AttributeValue> => ({ pk: { S: `I#${id}` }, sk: { S: 'intent' } });
const intentRecordsKey = (id: string): Record<string, AttributeValue> => ({ pk: { S: `I#${id}` }, sk: { S: 'records' } });
const claimKey = (recordId: string): Record<string, AttributeValue> => ({ pk: { S: `R#${recordId}` }, sk: { S: 'claim' } });
const tokenOf = (intent: Pick<Intent, 'id' | 'createdAt'>): string => `${intent.createdAt.toString(36)}.${intent.id}`;
const isConditionFailure = (error: unknown): boolean => (error as Error).name === 'ConditionalCheckFailedException';

function intentFrom(item: Record<string, AttributeValue>, records: Record<string, AttributeValue>): Intent {
  return {
    id: item.pk!.S!.slice(2), shard: item.shard!.S!, createdAt: Number(item.createdAt!.N), records: JSON.parse(records.records!.S!) as EncodedRecord[],
    state: item.state!.S as Intent['state'],
    ...(item.deltas?.S !== undefined && { deltas: JSON.parse(item.deltas.S) as Delta[] }),
    ...(item.foreignIntents?.S !== undefined && { foreign: JSON.parse(item.foreignIntents.S) as string[] }),
    ...(item.ownedRecords?.N !== undefined && { owned: Number(item.ownedRecords.N) }),
  };
}

/** One apply() call: its deadline, its request count and what it has already completed. */
class LedgerRun {
  public calls = 0;
  public charged = 0;
  public alreadyCharged = 0;
  private readonly completed = new Set<string>();
  private readonly swept = new Set<string>();

  public constructor(private readonly client: DynamoDBClient, private readonly options: LedgerOptions, private readonly signal: AbortSignal) {}

  /** Every command goes through here: counted, and cut off at the deadline. */
  private send<T>(command: object): Promise<T> {
    this.calls++;
    return this.client.send(command as never, { abortSignal: this.signal }) as Promise<T>;
  }


  /** Both items of an intent in one query; undefined until its state item exists. */
  private async load(id: string): Promise<Intent | undefined> {
    const out = await this.send<{ Items?: Record<string, AttributeValue>[] }>(new QueryCommand({
      TableName: this.options.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `I#${id}` } }, ConsistentRead: true,
    }));
    const state = out.Items?.find((item) => item.sk?.S === 'intent');
    const records = out.Items?.find((item) => item.sk?.S === 'records');
    return state === undefined || records === undefined ? undefined : intentFrom(state, records);
  }

  /** Puts an item unless it exists; true when this call wrote it. */
  private async putNew(item: Record<string, AttributeValue>): Promise<boolean> {
    try {
      await this.send(new PutItemCommand({ TableName: this.options.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /**
   * Writes the intent unless it exists: the records first, then the state, so a state item always has its
   * records. Returns the stored intent when any part was there already (an identical batch seen before keeps
   * its state, and every actor works from the same stored records).
   */
  private async create(intent: Intent): Promise<Intent> {
    const expiresAt = { N: String(intent.createdAt + this.options.claimTtlSeconds) };
    const wroteRecords = await this.putNew({ ...intentRecordsKey(intent.id), records: { S: JSON.stringify(intent.records) }, expiresAt });
    const wroteState = await this.putNew({
      ...intentKey(intent.id), shard: { S: intent.shard }, createdAt: { N: String(intent.createdAt) }, state: { S: 'claiming' }, expiresAt,
    });
    return wroteRecords && wroteState ? intent : (await this.load(intent.id))!;
  }

  /** Claims every record not yet claimed for the intent; returns each record's owner. */
  private async claim(intent: Intent): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    const expiresAt = String(intent.createdAt + this.options.claimTtlSeconds);
    await forEachLimit(intent.records, this.options.concurrency, async ([recordId]) => {
      const out = await this.send<{ Attributes?: Record<string, AttributeValue> }>(new UpdateItemCommand({
        TableName: this.options.table, Key: claimKey(recordId),
        UpdateExpression: 'SET #owner = if_not_exists(#owner, :me), expiresAt = if_not_exists(expiresAt, :exp)',
        ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':me': { S: intent.id }, ':exp': { N: expiresAt } },
        ReturnValues: 'ALL_NEW',
      }));
      owners.set(recordId, out.Attributes!.owner!.S!);
    });
    return owners;
  }

  /** Fixes what the intent adds: the sums over the records it owns. Any actor computes the same. */
  private async finalize(intent: Intent, owners: Map<string, string>): Promise<Intent> {
    const sums = new Map<string, Delta>();
    const foreign = new Set<string>();
    let owned = 0;
    for (const [recordId, deltas] of intent.records) {
      const owner = owners.get(recordId)!;
      if (owner !== intent.id) {
        foreign.add(owner);
        continue;
      }
      owned++;
      for (const [counter, nanos, events] of deltas) {
        const sum = sums.get(counter);
        if (sum === undefined) sums.set(counter, [counter, nanos, events]);
        else {
          sum[1] += nanos;
          sum[2] += events;
        }
      }
    }
    const ready: Intent = { ...intent, state: 'ready', deltas: [...sums.values()], foreign: [...foreign], owned };
    try {
      await this.send(new UpdateItemCommand({
        TableName: this.options.table, Key: intentKey(intent.id),
        UpdateExpression: 'SET #state = :ready, deltas = :deltas, foreignIntents = :foreign, ownedRecords = :owned',
        ConditionExpression: '#state = :claiming',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':ready': { S: 'ready' }, ':claiming': { S: 'claiming' }, ':deltas': { S: JSON.stringify(ready.deltas) }, ':foreign': { S: JSON.stringify(ready.foreign) },
          ':owned': { N: String(owned) },
        },
      }));
      return ready;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.load(intent.id))!;
    }
  }

  private async applyDeltas(intent: Intent): Promise<void> {
    const token = tokenOf(intent);
    await forEachLimit(intent.deltas!, this.options.concurrency, async ([counter, nanos, events]) => {
      try {
        const out = await this.send<{ Attributes?: Record<string, AttributeValue> }>(new UpdateItemCommand({
          TableName: this.options.table, Key: { pk: { S: counter }, sk: { S: intent.shard } },
          UpdateExpression: 'ADD consumedNanos :nanos, events :events, applied :tokens',
          ConditionExpression: 'NOT contains(applied, :token)',
          ExpressionAttributeValues: { ':nanos': { N: String(nanos) }, ':events': { N: String(events) }, ':tokens': { SS: [token] }, ':token': { S: token } },
          ReturnValues: 'UPDATED_NEW',
        }));
        await this.sweep(counter, intent.shard, out.Attributes?.applied?.SS ?? []).catch(() => undefined);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    });
  }

  /**
   * Removes the tokens of intents that are done and past the horizon, so counters stay small. Best effort: a
   * token left behind only costs bytes. A token whose intent is not done stays, or a late recovery could
   * apply that intent twice.
   */
  private async sweep(counter: string, shard: string, tokens: readonly string[]): Promise<void> {
    const cutoff = Date.now() - TOKEN_HORIZON_MS;
    const old = tokens.filter((t) => parseInt(t.slice(0, t.indexOf('.')), 36) * 1000 < cutoff);
    if (old.length < SWEEP_AT || this.swept.has(`${counter}\u0000${shard}`)) return;
    this.swept.add(`${counter}\u0000${shard}`);
    const removable: string[] = [];
    for (let i = 0; i < old.length; i += BATCH_GET_KEYS) {
      const chunk = old.slice(i, i + BATCH_GET_KEYS);
      const out = await this.send<{ Responses?: Record<string, Record<string, AttributeValue>[]>; UnprocessedKeys?: Record<string, unknown> }>(new BatchGetItemCommand({
        RequestItems: { [this.options.table]: { Keys: chunk.map((t) => intentKey(t.slice(t.indexOf('.') + 1))), ConsistentRead: true, ProjectionExpression: 'pk, #state, doneAt', ExpressionAttributeNames: { '#state': 'state' } } },
      }));
      if (Object.keys(out.UnprocessedKeys ?? {}).length > 0) return;
      const found = new Map((out.Responses?.[this.options.table] ?? []).map((item) => [item.pk!.S!.slice(2), item]));
      for (const token of chunk) {
        const item = found.get(token.slice(token.indexOf('.') + 1));
        // Gone means expired by TTL, long after the stream could replay anything it claimed.
        if (item === undefined || (item.state?.S === 'done' && Number(item.doneAt?.N ?? 0) * 1000 < cutoff)) removable.push(token);
      }
    }
    if (removable.length === 0) return;
    await this.send(new UpdateItemCommand({
      TableName: this.options.table, Key: { pk: { S: counter }, sk: { S: shard } },
      UpdateExpression: 'DELETE applied :tokens', ExpressionAttributeValues: { ':tokens': { SS: removable } },
    }));
  }

  private async markDone(intent: Intent): Promise<void> {
    await this.send(new UpdateItemCommand({
      TableName: this.options.table, Key: intentKey(intent.id),
      UpdateExpression: 'SET #state = :done, doneAt = :now', ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':done': { S: 'done' }, ':now': { N: String(Math.floor(Date.now() / 1000)) } },
    }));
  }

  /**
   * Brings an intent to done, then makes sure every intent owning some of its records is done too: only then
   * may those records be acknowledged. `own` counts the outcome for this invocation's batch.
   */
  public async complete(fresh: Intent, own: boolean): Promise<void> {
    if (this.completed.has(fresh.id)) return;
    this.completed.add(fresh.id);
    let intent = await this.create(fresh);
    const wasDone = intent.state === 'done';
    if (intent.state === 'claiming') intent = await this.finalize(intent, await this.claim(intent));
    if (intent.state === 'ready') {
      await this.applyDeltas(intent);
      await this.markDone(intent);
    }
    if (own) {
      const charged = wasDone ? 0 : intent.owned!;
      this.charged += charged;
      this.alreadyCharged += intent.records.length - charged;
    }
    for (const id of intent.foreign ?? []) {
      if (this.completed.has(id)) continue;
      const other = await this.load(id);
      if (other === undefined) throw new Error(`intent ${id} owns a claim but is missing`);
      if (other.state === 'done') this.completed.add(id);
      else await this.complete(other, false);
    }
  }
}

/** Consecutive records grouped into intents of at most MAX_INTENT_BYTES of encoded charges. */
function intentChunks(records: readonly LedgerRecord[]): { record: LedgerRecord; encoded: EncodedRecord }[][] {
  const chunks: { record: LedgerRecord; encoded: EncodedRecord }[][] = [];
  let current: { record: LedgerRecord; encoded: EncodedRecord }[] = [];
  let bytes = 0;
  for (const record of records) {
    const encoded: EncodedRecord = [record.id, [...record.charges].map(([counter, c]): Delta => [counter, c.nanos, c.events])];
    const size = JSON.stringify(encoded).length + 1;
    if (current.length > 0 && bytes + size > MAX_INTENT_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ record, encoded });
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class Ledger {
  private readonly client: DynamoDBClient;

  public constructor(private readonly options: LedgerOptions) {
    this.client = new DynamoDBClient({ ...(options.region && { region: options.region }), maxAttempts: 3 });
  }

  /** Adds the records' charges to the ledger, exactly once per record whatever happened before. */
  public async apply(records: readonly LedgerRecord[], deadline: number): Promise<LedgerResult> {
    const costed = records.filter((r) => r.charges.size > 0);
    const deadlineSignal = abortAfter(deadline - Date.now());
    // Every request in flight listens on this signal.
    setMaxListeners(this.options.concurrency + 16, deadlineSignal.signal);
    const run = new LedgerRun(this.client, this.options, deadlineSignal.signal);
    const result: LedgerResult = { charged: 0, alreadyCharged: 0, calls: 0 };
    try {
      const byShard = new Map<string, LedgerRecord[]>();
      for (const r of costed) {
        const group = byShard.get(r.shard);
        if (group === undefined) byShard.set(r.shard, [r]);
        else group.push(r);
      }
      const createdAt = Math.floor(Date.now() / 1000);
      for (const [shard, group] of byShard) {
        for (const chunk of intentChunks(group)) {
          const id = createHash('sha256').update(`${shard}\n${chunk.map((c) => c.record.id).join('\n')}`).digest('base64url').slice(0, 22);
          try {
            await run.complete({ id, shard, createdAt, records: chunk.map((c) => c.encoded), state: 'claiming' }, true);
          } catch (error) {
            result.failedFrom = Math.min(result.failedFrom ?? Infinity, chunk[0]!.record.index);
            result.error = deadlineSignal.signal.aborted ? 'ledger deadline reached' : `${(error as Error).name}: ${(error as Error).message}`;
          }
        }
      }
    } finally {
      deadlineSignal.cancel();
    }
    return { ...result, charged: run.charged, alreadyCharged: run.alreadyCharged, calls: run.calls };
  }

  public destroy(): void {
    this.client.destroy();
  }
}
