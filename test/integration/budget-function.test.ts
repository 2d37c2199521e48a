/**
 * The budget function against real parts on 127.0.0.1: dynalite (through a proxy that can simulate a dying
 * process), the Honeycomb stand-in (markers, /1/batch), the SNS stand-in and the Secrets Manager stand-in, on
 * a clock the test moves. Spend is put into the ledger's counters directly, exactly as the aggregator does
 * (ADD consumedNanos, events on one shard's item), so every amount is known to the nano-dollar.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { alertKey, counterPk, statusKey, usdToNanos, type BudgetDefinitionInput } from '../../common/budgets/index.js';
import { ConfigurationError } from '../../common/env.js';
import { readBudgetCheckerConfig } from '../../functions/budget/config.js';
import { BudgetRunError } from '../../functions/budget/errors.js';
import { createBudgetChecker, type BudgetChecker, type BudgetRunSummary } from '../../functions/budget/handler.js';
import { SNAPSHOT_EVENT_NAME } from '../../functions/budget/snapshots.js';
import { DynamoCrashProxy, LocalDynamoDB } from '../../scripts/local/dynamodb.js';
import { HoneycombStandIn, type Marker } from '../../scripts/local/honeycomb/index.js';
import { SecretsManagerStandIn } from '../../scripts/local/secrets-manager.js';
import { SnsStandIn, type PublishedSnsMessage } from '../../scripts/local/sns.js';

const SHARD = 'governance/shardId-000000000000';
const AI_ENG: BudgetDefinitionInput = {
  id: 'ai-eng-daily', limitUsd: 100, period: 'daily', thresholds: [50, 80, 90, 100], url: 'https://runbooks.example/budgets', match: { team: 'ai-eng' },
};
const DAY = '2026-11-21';
const NOON = Date.parse(`${DAY}T12:00:00Z`);

let dynamo: LocalDynamoDB;
let proxy: DynamoCrashProxy;
let honeycomb: HoneycombStandIn;
let sns: SnsStandIn;
let secrets: SecretsManagerStandIn;
const savedEnv = { ...process.env };

let n = 0;
let table: string;
let dataset: string;
let topicName: string;
let topicArn: string;
/** The clock every checker of a test computes periods and leases with. */
let now: number;

beforeAll(async () => {
  [dynamo, honeycomb, sns, secrets] = await Promise.all([LocalDynamoDB.start(), HoneycombStandIn.start(), SnsStandIn.start(), SecretsManagerStandIn.start()]);
  proxy = await DynamoCrashProxy.start(dynamo.url);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: proxy.url, AWS_ENDPOINT_URL_SNS: sns.endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([proxy?.stop(), dynamo?.stop(), honeycomb?.stop(), sns?.stop(), secrets?.stop()]);
});
beforeEach(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  proxy.heal();
  sns.clearFaults();
  honeycomb.reset();
  n++;
  table = `budgets-${n}`;
  dataset = `genops-budgets-${n}`;
  topicName = `budget-alerts-${n}`;
  await dynamo.createLedgerTable(table);
  honeycomb.addDataset(dataset);
  topicArn = sns.createTopic(topicName);
  now = NOON;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** What the aggregator does for spend on one shard: ADD to that shard's counter of the budget period. */
async function charge(budgetId: string, periodKey: string, usd: number, sk = SHARD): Promise<void> {
  await dynamo.client.send(new UpdateItemCommand({
    TableName: table, Key: { pk: { S: counterPk(budgetId, periodKey) }, sk: { S: sk } },
    UpdateExpression: 'ADD consumedNanos :n, events :e',
    ExpressionAttributeValues: { ':n': { N: String(usdToNanos(usd)) }, ':e': { N: '1' } },
  }));
}

function env(budgets: BudgetDefinitionInput[], overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    LEDGER_TABLE: table, GOVERNANCE_BUDGETS: JSON.stringify(budgets),
    HONEYCOMB_API_KEY: honeycomb.ingestKey, HONEYCOMB_CONFIG_KEY: honeycomb.configKey, HONEYCOMB_API_HOST: honeycomb.url, HONEYCOMB_DATASET: dataset,
    BUDGET_ALERT_TOPIC_ARN: topicArn, AWS_REGION: 'us-east-1', ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

function checker(budgets: BudgetDefinitionInput[] = [AI_ENG], overrides: Record<string, string | undefined> = {}): BudgetChecker {
  return createBudgetChecker(readBudgetCheckerConfig(env(budgets, overrides)), { now: () => now });
}

/** Runs a checker that must fail; returns its BudgetRunError (the run did everything else it could first). */
async function failingRun(run: BudgetChecker): Promise<BudgetRunError> {
  const error = await run().then(() => undefined, (e: unknown) => e);
  expect(error, 'the run must fail').toBeInstanceOf(BudgetRunError);
  return error as BudgetRunError;
}

const markers = (): Marker[] => honeycomb.markers(dataset).map((m) => m.marker);
const alerts = (): PublishedSnsMessage[] => sns.messages(topicName);
const alertBody = (m: PublishedSnsMessage): Record<string, unknown> => JSON.parse(m.message) as Record<string, unknown>;
const alerted = (): [string, number][] => alerts().map((m) => [String(alertBody(m).periodKey), Number(alertBody(m).threshold)]);
const snapshots = (): Record<string, unknown>[] => honeycomb.events(dataset).map((e) => e.data).filter((d) => d.name === SNAPSHOT_EVENT_NAME);
const outcomes = (summary: BudgetRunSummary): Record<number, string> => Object.fromEntries(summary.alerts.map((a) => [a.threshold, a.outcome]));

async function alertItem(budgetId: string, periodKey: string, threshold: number): Promise<Record<string, { S?: string; N?: string }> | undefined> {
  const key = alertKey(budgetId, periodKey, threshold);
  const out = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return out.Item as never;
}

describe('budget function', () => {
  it('alerts once per threshold crossed, with a marker and an SNS message, and sends one snapshot per run', async () => {
    await charge('ai-eng-daily', DAY, 55);
    const first = await checker()();
    expect(outcomes(first)).toEqual({ 50: 'sent' });
    expect(markers()).toHaveLength(1);
    const [marker] = markers();
    expect(marker).toMatchObject({ type: 'budget', url: 'https://runbooks.example/budgets' });
    expect(marker!.message).toContain('ai-eng-daily');
    expect(marker!.message).toContain('50%');
    expect(marker!.message).toContain('$55.00');
    expect(marker!.message).toContain('$100.00');
    expect(alerts()).toHaveLength(1);
    const [message] = alerts();
    expect(message!.attributes.alertId?.StringValue).toBe(`A#ai-eng-daily#${DAY}#50`);
    expect(message!.attributes.budgetId?.StringValue).toBe('ai-eng-daily');
    expect(alertBody(message!)).toMatchObject({ budgetId: 'ai-eng-daily', threshold: 50, periodKey: DAY, limitUsd: 100, consumedUsd: 55, utilizationPct: 55 });
    expect(message!.subject).toBe(marker!.message);

    const second = await checker()();
    expect(outcomes(second), 'a sent alert is reported as such, not as in progress elsewhere').toEqual({ 50: 'already-sent' });
    expect(markers()).toHaveLength(1);
    expect(alerts()).toHaveLength(1);

    await charge('ai-eng-daily', DAY, 37.5);
    const third = await checker()();
    expect(outcomes(third)).toEqual({ 50: 'already-sent', 80: 'sent', 90: 'sent' });
    const messages = markers().map((m) => m.message!);
    expect(messages).toHaveLength(3);
    expect(messages[1]).toMatch(/crossed 80%: \$92\.50 of \$100\.00/);
    expect(messages[2]).toMatch(/crossed 90%: \$92\.50 of \$100\.00/);
    expect(alerts().map((m) => alertBody(m).threshold)).toEqual([50, 80, 90]);
    expect(new Set(alerts().map((m) => m.attributes.alertId?.StringValue)).size).toBe(3);

    // One snapshot per run, the last one with the current numbers.
    const sent = snapshots();
    expect(sent).toHaveLength(3);
    expect(sent.map((s) => s['genops.budget.consumed'])).toEqual([55, 55, 92.5]);
    expect(sent[2]).toMatchObject({
      name: 'genops.budget.snapshot', 'genops.budget.id': 'ai-eng-daily', 'genops.budget.limit': 100, 'genops.budget.consumed': 92.5,
      'genops.budget.remaining': 7.5, 'genops.budget.utilization_pct': 92.5, 'genops.team': 'ai-eng', 'genops.budget.period_key': DAY,
      'genops.budget.events': 2,
    });
    expect(third).toMatchObject({ snapshotsSent: 1, failures: [], budgets: [{ id: 'ai-eng-daily', periodKey: DAY, consumedUsd: 92.5, utilizationPct: 92.5, events: 2 }] });

    const { pk, sk } = statusKey('ai-eng-daily');
    const status = (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;
    expect(status?.periodKey?.S).toBe(DAY);
    expect(status?.consumedNanos?.N).toBe(String(92_500_000_000));
    expect(JSON.parse(status!.definition!.S!)).toMatchObject({ id: 'ai-eng-daily', limitUsd: 100 });
  });

  it('sends each alert once when five runs check the same budget at the same time', async () => {
    await charge('ai-eng-daily', DAY, 60, 'governance/shardId-000000000000');
    await charge('ai-eng-daily', DAY, 35, 'governance/shardId-000000000001');
    const runs = Array.from({ length: 5 }, () => checker());
    const summaries = await Promise.all(runs.map((run) => run()));
    expect(markers()).toHaveLength(3);
    expect(alerts()).toHaveLength(3);
    expect(alerts().map((m) => Number(alertBody(m).threshold)).sort((a, b) => a - b)).toEqual([50, 80, 90]);
    expect(markers().map((m) => /crossed (\d+)%/.exec(m.message!)?.[1]).sort()).toEqual(['50', '80', '90']);
    for (const threshold of [50, 80, 90]) {
      const reported = summaries.flatMap((s) => s.alerts.filter((a) => a.threshold === threshold).map((a) => a.outcome));
      expect(reported, `threshold ${threshold}`).toHaveLength(5);
      expect(reported.filter((o) => o === 'sent'), `threshold ${threshold}`).toHaveLength(1);
      for (const outcome of reported.filter((o) => o !== 'sent')) expect(['held-by-another-run', 'already-sent']).toContain(outcome);
    }
    expect(summaries.every((s) => s.failures.length === 0 && s.alerts.every((a) => a.threshold !== 100))).toBe(true);
    expect(snapshots()).toHaveLength(5);
  });

  it('finishes an alert a failed run left half done, without posting its marker again', async () => {
    await charge('ai-eng-daily', DAY, 55);
    const calls = sns.calls.length;
    sns.failRequests(3, 500, 'InternalError');
    const error = await failingRun(checker());
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatch(new RegExp(`^ai-eng-daily ${DAY} alert at 50%: `));
    expect(sns.calls.slice(calls).filter((c) => c.action === 'Publish').map((c) => c.status)).toEqual([500, 500, 500]);
    expect(markers()).toHaveLength(1);
    expect(alerts()).toHaveLength(0);
    expect(snapshots(), 'the snapshot does not wait for the alert').toHaveLength(1);

    // The failed run gave its lease back: the next one, a minute later, finishes the alert.
    now += 60_000;
    const next = await checker()();
    expect(outcomes(next)).toEqual({ 50: 'sent' });
    expect(alerts()).toHaveLength(1);
    expect(markers()).toHaveLength(1);
    const item = await alertItem('ai-eng-daily', DAY, 50);
    expect(item?.markerId?.S).toBe(markers()[0]!.id);
    expect(item?.snsMessageId?.S).toBe(alerts()[0]!.messageId);
    expect(item?.sentAt?.N).toBeDefined();
  });

  it('adopts the marker a run posted just before dying, once that run\'s lease has run out', async () => {
    await charge('ai-eng-daily', DAY, 55);
    const lease = { BUDGET_ALERT_LEASE_SECONDS: '30' };
    // The run's DynamoDB requests: the counter query, the claim, (the marker POST goes to Honeycomb), the markerId write.
    proxy.crashAfter(2);
    const error = await failingRun(checker([AI_ENG], lease));
    expect(error.failures.some((f) => f.startsWith(`ai-eng-daily ${DAY} alert at 50%: `))).toBe(true);
    expect(markers()).toHaveLength(1);
    expect(alerts()).toHaveLength(0);
    proxy.heal();
    const claimed = await alertItem('ai-eng-daily', DAY, 50);
    expect(claimed?.message?.S, 'the claim was written').toBe(markers()[0]!.message);
    expect(claimed?.markerId, 'the marker\'s id was never stored').toBeUndefined();

    // Within the lease the dead run still owns the alert.
    now += 20_000;
    const early = await checker([AI_ENG], lease)();
    expect(outcomes(early)).toEqual({ 50: 'held-by-another-run' });
    expect(alerts()).toHaveLength(0);
    expect(markers()).toHaveLength(1);

    now += 11_000;
    const late = await checker([AI_ENG], lease)();
    expect(outcomes(late)).toEqual({ 50: 'sent' });
    expect(markers()).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
    expect((await alertItem('ai-eng-daily', DAY, 50))?.markerId?.S).toBe(markers()[0]!.id);
  });

  it('checks the previous day for a grace time after midnight, and reports only the current day', async () => {
    now = Date.parse('2026-11-21T23:50:00Z');
    await charge('ai-eng-daily', '2026-11-21', 85);
    const run = checker();
    await run();
    expect(alerted()).toEqual([['2026-11-21', 50], ['2026-11-21', 80]]);

    now = Date.parse('2026-11-22T00:10:00Z');
    await charge('ai-eng-daily', '2026-11-21', 10);
    await charge('ai-eng-daily', '2026-11-22', 55);
    const afterMidnight = await run();
    expect(alerted()).toEqual([['2026-11-21', 50], ['2026-11-21', 80], ['2026-11-21', 90], ['2026-11-22', 50]]);
    expect(markers().map((m) => m.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/crossed 90%: \$95\.00 of \$100\.00 \(daily 2026-11-21\)/), expect.stringMatching(/crossed 50%: \$55\.00 of \$100\.00 \(daily 2026-11-22\)/),
    ]));
    expect(markers()).toHaveLength(4);
    expect(afterMidnight.budgets).toEqual([expect.objectContaining({ periodKey: '2026-11-22', consumedUsd: 55 })]);
    expect(snapshots()).toHaveLength(2);
    expect(snapshots()[1]).toMatchObject({ 'genops.budget.period_key': '2026-11-22', 'genops.budget.consumed': 55, 'genops.budget.period_start': '2026-11-22T00:00:00.000Z' });

    now = Date.parse('2026-11-22T02:00:00Z');
    await charge('ai-eng-daily', '2026-11-21', 6);
    const later = await run();
    expect(await dynamo.budgetNanos(table, 'ai-eng-daily', '2026-11-21')).toBe(BigInt(usdToNanos(101)));
    expect(later.alerts.filter((a) => a.periodKey === '2026-11-21'), 'past the grace time').toEqual([]);
    expect(alerted()).toHaveLength(4);
    expect(markers()).toHaveLength(4);
    expect(snapshots().map((s) => s['genops.budget.period_key'])).toEqual(['2026-11-21', '2026-11-22', '2026-11-22']);
  });

  it('rolls a monthly America/New_York budget over at local midnight (05:00Z on December 1)', async () => {
    const ny: BudgetDefinitionInput = { id: 'ny-monthly', limitUsd: 1000, period: 'monthly', timeZone: 'America/New_York' };
    await charge('ny-monthly', '2026-11', 123.45);
    await charge('ny-monthly', '2026-12', 1);
    const run = checker([ny]);
    now = Date.parse('2026-12-01T04:59:59Z');
    await run();
    now = Date.parse('2026-12-01T05:00:00Z');
    await run();
    const [before, after] = snapshots();
    expect(snapshots()).toHaveLength(2);
    expect(before).toMatchObject({
      'genops.budget.id': 'ny-monthly', 'genops.budget.period_key': '2026-11', 'genops.budget.consumed': 123.45, 'genops.budget.time_zone': 'America/New_York',
      'genops.budget.period_start': '2026-11-01T04:00:00.000Z', 'genops.budget.period_end': '2026-12-01T05:00:00.000Z',
    });
    expect(after).toMatchObject({ 'genops.budget.period_key': '2026-12', 'genops.budget.consumed': 1, 'genops.budget.period_start': '2026-12-01T05:00:00.000Z' });
  });

  it('still pages and reports when the secret holds no configuration key for markers, and names configKey', async () => {
    secrets.put(`honeycomb-${n}`, JSON.stringify({ ingestKey: honeycomb.ingestKey }));
    const fromSecret = { HONEYCOMB_API_KEY: undefined, HONEYCOMB_CONFIG_KEY: undefined, HONEYCOMB_SECRET: `honeycomb-${n}` };
    await charge('ai-eng-daily', DAY, 55);
    const error = await failingRun(checker([AI_ENG], fromSecret));
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatch(new RegExp(`^ai-eng-daily ${DAY} alert at 50%: .*configKey`));
    expect(alerts(), 'the on-call message does not depend on Honeycomb markers').toHaveLength(1);
    expect(snapshots()).toHaveLength(1);
    expect(markers()).toHaveLength(0);

    // Once the secret has a configuration key, the next run posts the marker and does not page again.
    secrets.put(`honeycomb-${n}`, JSON.stringify({ ingestKey: honeycomb.ingestKey, configKey: honeycomb.configKey }));
    now += 60_000;
    const next = await checker([AI_ENG], fromSecret)();
    expect(outcomes(next)).toEqual({ 50: 'sent' });
    expect(markers()).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
  });

  it('alerts over SNS alone with BUDGET_MARKERS=false and no configuration key', async () => {
    await charge('ai-eng-daily', DAY, 80);
    const summary = await checker([AI_ENG], { HONEYCOMB_CONFIG_KEY: undefined, BUDGET_MARKERS: 'false' })();
    expect(outcomes(summary)).toEqual({ 50: 'sent', 80: 'sent' });
    expect(alerts()).toHaveLength(2);
    expect(markers()).toHaveLength(0);
    expect(snapshots()).toHaveLength(1);
  });
});

describe('budget function configuration', () => {
  /** `budgets` null leaves GOVERNANCE_BUDGETS to `overrides`. */
  const configError = (overrides: Record<string, string | undefined>, budgets: unknown = [AI_ENG]): ConfigurationError => {
    try {
      readBudgetCheckerConfig({ ...env([AI_ENG], overrides), ...(budgets !== null && { GOVERNANCE_BUDGETS: JSON.stringify(budgets) }) });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return error as ConfigurationError;
    }
    throw new Error('the configuration was accepted');
  };

  it('names the setting that is wrong', () => {
    expect(configError({ LEDGER_TABLE: undefined }).setting).toBe('LEDGER_TABLE');
    const noConfigKey = configError({ HONEYCOMB_CONFIG_KEY: undefined });
    expect(noConfigKey.setting).toBe('HONEYCOMB_CONFIG_KEY');
    expect(noConfigKey.message).toMatch(/BUDGET_MARKERS=false/);
    expect(readBudgetCheckerConfig(env([AI_ENG], { HONEYCOMB_CONFIG_KEY: undefined, BUDGET_MARKERS: 'false' }))).toMatchObject({ markers: false });
    expect(readBudgetCheckerConfig(env([AI_ENG]))).toMatchObject({ markers: true, configKey: honeycomb.configKey, topicArn });
    const typo = configError({ BUDGET_MARKER: 'false' });
    expect(typo.setting).toBe('BUDGET_MARKER');
    expect(typo.message).toMatch(/not a known setting/);
    const arn = configError({ BUDGET_ALERT_TOPIC_ARN: 'budget-alerts' });
    expect(arn.setting).toBe('BUDGET_ALERT_TOPIC_ARN');
    expect(arn.message).toContain('"budget-alerts"');
    expect(configError({ BUDGET_ALERT_TOPIC_ARN: 'arn:aws:sqs:us-east-1:123456789012:budget-alerts' }).setting).toBe('BUDGET_ALERT_TOPIC_ARN');
    expect(configError({ BUDGET_ALERT_LEASE_SECONDS: '10' }).message).toMatch(/^BUDGET_ALERT_LEASE_SECONDS: must be between 30 and 3600/);
    expect(configError({ GOVERNANCE_BUDGETS: undefined }, null).setting).toBe('GOVERNANCE_BUDGETS');
  });

  it('names the budget and the field of a wrong budget definition', () => {
    expect(configError({}, [AI_ENG, { id: 'checkout', limitUsd: 10, period: 'daily', thresholds: [50, 'x'] }]).message)
      .toMatch(/^GOVERNANCE_BUDGETS: budget "checkout": thresholds must hold percentages/);
    expect(configError({}, [{ ...AI_ENG, threshold: [75] }]).message)
      .toMatch(/^GOVERNANCE_BUDGETS: budget "ai-eng-daily": threshold is not a known field \(did you mean "thresholds"\?\)/);
    expect(configError({}, [{ ...AI_ENG, limitUsd: 0 }]).message).toMatch(/budget "ai-eng-daily": limitUsd must be a number/);
    expect(configError({}, [{ ...AI_ENG, timeZone: 'Mars/Olympus' }]).message).toMatch(/budget "ai-eng-daily": timeZone must be an IANA time zone/);
  });
});
