/**
 * The layer's opt-in budget check, against dynalite holding what the pipeline writes (the budget function's
 * status item and the aggregator's per-shard counters): the decision, what it records on the span, the typed
 * error when enforcement is on, the cache, and failing open when the ledger cannot be read.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpdateItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { budgetPeriod, counterPk, parseBudgets, statusItem, usdToNanos, type BudgetDefinition } from '../../common/budgets/index.js';
import { BudgetExceededError, ConfigurationError } from '../../layers/governance/src/errors.js';
import { governance } from '../../layers/governance/src/governance.js';
import { resetWarnings } from '../../layers/governance/src/logger.js';
import { DynamoCrashProxy, LocalDynamoDB } from '../../scripts/local/dynamodb.js';
import { OtlpReceiver } from '../../scripts/local/otlp-receiver.js';
import { createRuntime, lambdaContext, wrap } from '../support/runtime.js';

const [DAILY] = parseBudgets([{ id: 'ai-eng-daily', limitUsd: 200, period: 'daily', thresholds: [50, 80, 90, 100], match: { team: 'ai-eng' } }], 'test');
let dynamo: LocalDynamoDB;
let proxy: DynamoCrashProxy;
let receiver: OtlpReceiver;
let table: string;
let tables = 0;

beforeAll(async () => {
  [dynamo, receiver] = await Promise.all([LocalDynamoDB.start(), OtlpReceiver.start()]);
  proxy = await DynamoCrashProxy.start(dynamo.url);
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await Promise.all([proxy.stop(), receiver.stop()]);
  await dynamo.stop();
});
beforeEach(async () => {
  table = `ledger-check-${++tables}`;
  await dynamo.createLedgerTable(table);
  proxy.heal();
});
afterEach(() => {
  receiver.clear();
  resetWarnings();
  vi.restoreAllMocks();
});

function runtimeWith(env: Record<string, string> = {}) {
  return createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, GOVERNANCE_BUDGET_TABLE: table, ...env });
}

async function writeStatus(budget: BudgetDefinition = DAILY!): Promise<void> {
  const periodKey = budgetPeriod(budget, Date.now()).key;
  await dynamo.client.send(new PutItemCommand({ TableName: table, Item: statusItem({ definition: budget, periodKey, consumedNanos: 0n, updatedAt: Date.now() }) as Record<string, AttributeValue> }));
}

/** Spend as the aggregator records it: one counter per stream shard. */
async function spend(usd: number, shard = 'governance/shardId-000000000000', budget: BudgetDefinition = DAILY!): Promise<void> {
  await dynamo.client.send(new UpdateItemCommand({
    TableName: table, Key: { pk: { S: counterPk(budget.id, budgetPeriod(budget, Date.now()).key) }, sk: { S: shard } },
    UpdateExpression: 'ADD consumedNanos :n, events :e', ExpressionAttributeValues: { ':n': { N: String(usdToNanos(usd)) }, ':e': { N: '1' } },
  }));
}

describe('governance.checkBudget', () => {
  it('allows under the warning level, warns from the highest threshold under 100 %, and blocks when spent; recorded on the span', async () => {
    await writeStatus();
    const runtime = runtimeWith({ GOVERNANCE_BUDGET_CACHE_SECONDS: '0' });
    const check = wrap(runtime, () => governance.checkBudget('ai-eng-daily'));
    await spend(60);
    await spend(40, 'governance/shardId-000000000001');
    const allowed = await check({}, lambdaContext());
    expect(allowed).toMatchObject({ result: 'allowed', limitUsd: 200, consumedUsd: 100, utilizationPct: 50 });
    await spend(81);
    expect(await check({}, lambdaContext())).toMatchObject({ result: 'warning', consumedUsd: 181, utilizationPct: 90.5 });
    await spend(19);
    const blocked = await check({}, lambdaContext());
    expect(blocked).toMatchObject({ result: 'blocked', consumedUsd: 200 });
    expect(blocked.reason).toContain('$200.00 of $200.00');

    const results = receiver.spans.map((s) => s.attributes['genops.policy.result']);
    expect(results).toEqual(['allowed', 'warning', 'blocked']);
    const last = receiver.spans[2]!.attributes;
    expect(last).toMatchObject({
      'genops.policy.name': 'budget:ai-eng-daily', 'genops.budget.id': 'ai-eng-daily', 'genops.budget.limit': 200, 'genops.budget.consumed': 200, 'genops.budget.utilization_pct': 100,
    });
    expect(typeof last['genops.policy.response_time']).toBe('number');
  });

  it('throws BudgetExceededError when enforcement is on, so the expensive call is never made, and the span says why', async () => {
    await writeStatus();
    await spend(200);
    const runtime = runtimeWith({ GOVERNANCE_BUDGET_ENFORCE: 'true' });
    let called = false;
    const handler = wrap(runtime, async () => {
      await governance.checkBudget('ai-eng-daily');
      called = true;
    });
    const error = await handler({}, lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ budgetId: 'ai-eng-daily', limitUsd: 200, consumedUsd: 200, periodKey: budgetPeriod(DAILY!, Date.now()).key });
    expect(called).toBe(false);
    expect(receiver.spans[0]!.attributes['genops.policy.result']).toBe('blocked');
  });

  it('blocks a call whose estimate would overrun the budget; `enforce` per call overrides the setting', async () => {
    await writeStatus();
    await spend(199.5);
    const check = wrap(runtimeWith(), (event: { estimate: number; enforce?: boolean }) =>
      governance.checkBudget('ai-eng-daily', { estimatedCostUsd: event.estimate, ...(event.enforce !== undefined && { enforce: event.enforce }) }));
    expect((await check({ estimate: 0.25 }, lambdaContext())).result).toBe('warning');
    expect((await check({ estimate: 1 }, lambdaContext())).result).toBe('blocked');
    await expect(check({ estimate: 1, enforce: true }, lambdaContext())).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('reads the ledger at most once per cache period, and again after it', async () => {
    await writeStatus();
    await spend(10);
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const check = wrap(runtimeWith({ GOVERNANCE_BUDGET_CACHE_SECONDS: '5' }), () => governance.checkBudget('ai-eng-daily'));
    proxy.crashAfter(Infinity);
    const first = await check({}, lambdaContext());
    const reads = proxy.requests;
    expect(reads).toBe(2); // the status item and the period's counters
    await spend(100);
    const second = await check({}, lambdaContext());
    expect(proxy.requests).toBe(reads);
    expect(second).toMatchObject({ consumedUsd: first.consumedUsd, cached: true });
    now += 5_001;
    expect(await check({}, lambdaContext())).toMatchObject({ consumedUsd: 110, cached: false });
    expect(proxy.requests).toBe(reads * 2);
  });

  it('fails open with a warning that names the cause when the ledger cannot be read or the budget has no status', async () => {
    const check = wrap(runtimeWith({ GOVERNANCE_BUDGET_ENFORCE: 'true', GOVERNANCE_BUDGET_CACHE_SECONDS: '0' }), (event: { id: string }) => governance.checkBudget(event.id));
    const unknown = await check({ id: 'no-such-budget' }, lambdaContext());
    expect(unknown).toMatchObject({ result: 'warning' });
    expect(unknown.reason).toMatch(/no status yet/);
    await writeStatus();
    proxy.crashAfter(0);
    const down = await check({ id: 'ai-eng-daily' }, lambdaContext());
    expect(down.result).toBe('warning');
    expect(down.reason).toMatch(/budget status unavailable/);
    expect(receiver.spans.map((s) => s.attributes['genops.policy.result'])).toEqual(['warning', 'warning']);
  });

  it('is off without GOVERNANCE_BUDGET_TABLE, and rejects its other settings alone', async () => {
    const runtime = createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const decision = await wrap(runtime, () => governance.checkBudget('ai-eng-daily'))({}, lambdaContext());
    expect(decision).toMatchObject({ result: 'warning' });
    expect(decision.reason).toMatch(/GOVERNANCE_BUDGET_TABLE/);
    expect(() => createRuntime({ GOVERNANCE_EXPORTER: 'otlp', GOVERNANCE_BUDGET_ENFORCE: 'true' })).toThrow(ConfigurationError);
    expect(() => createRuntime({ GOVERNANCE_EXPORTER: 'otlp', GOVERNANCE_BUDGET_TABLE: 'ledger', GOVERNANCE_BUDGET_CACHE_SECONDS: 'soon' })).toThrow(/GOVERNANCE_BUDGET_CACHE_SECONDS/);
  });
});
