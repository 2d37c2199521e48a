/**
 * `npm start`'s scenario, shortened, checked against the workload it generated: every invocation did what the
 * plan meant it to, every span the layer put on the stream reached Honeycomb exactly once or was sampled out
 * by the documented rule, the ledger holds the generated cost to the nano-dollar, the budget function posted
 * exactly the markers the spend calls for, and nothing was lost. Then the CLI itself: real-Honeycomb mode by
 * key and by secret (a separate stand-in plays the user's Honeycomb), Ctrl-C, and a bad option.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usdToNanos } from '../../common/budgets/index.js';
import type { StoredEvent, StoredMarker } from '../../scripts/local/honeycomb/index.js';
import { HoneycombStandIn } from '../../scripts/local/honeycomb/index.js';
import { SecretsManagerStandIn } from '../../scripts/local/secrets-manager.js';
import { Sampler } from '../../functions/aggregator/sampling.js';
import { DEFAULT_OPTIONS, type LocalRunOptions } from '../../scripts/local-run/options.js';
import { runLocalPipeline, type LocalRunResult } from '../../scripts/local-run/run.js';
import { RESOURCE_NAMES } from '../../scripts/local-run/services.js';
import { auditStream, type StreamAudit } from '../../scripts/local-run/stream-audit.js';
import type { LocalRunSummary } from '../../scripts/local-run/summary.js';
import { ROOT } from '../support/paths.js';

const OPTIONS: LocalRunOptions = { ...DEFAULT_OPTIONS, durationMs: 4_000, rate: 10, concurrency: 1, budgetIntervalMs: 2_000, malformed: 2, seed: 7 };
const DATASET = 'genops-e2e';

/** Is the process gone (or a zombie waiting for a reaper)? */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return true;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

/** Every live descendant of a process, from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

describe('npm start scenario (in process)', () => {
  let result: LocalRunResult;
  let summary: LocalRunSummary;
  let stream: StreamAudit;
  let events: StoredEvent[];
  let markers: StoredMarker[];
  let ledger: Map<string, bigint>;
  let deadLetters: { code: string; reason: string }[];
  let alertsPublished: number;

  beforeAll(async () => {
    result = await runLocalPipeline(OPTIONS, { kind: 'stand-in', dataset: DATASET }, {
      buildDir: join(ROOT, 'dist', 'test-local-run'),
      beforeStop: async ({ services }) => {
        stream = await auditStream(services.kinesis, RESOURCE_NAMES.stream);
        events = services.honeycomb!.events(DATASET);
        markers = services.honeycomb!.markers(DATASET);
        ledger = new Map();
        for (const id of ['support-daily', 'acme-monthly', 'legal-monthly']) ledger.set(id, await services.dynamo.budgetNanos(RESOURCE_NAMES.table, id));
        deadLetters = services.sqs.messages(RESOURCE_NAMES.queue).map((m) => JSON.parse(m.body) as { code: string; reason: string });
        alertsPublished = services.sns.messages(RESOURCE_NAMES.topic).length;
      },
    });
    summary = result.summary;
  }, 180_000);

  /** The model calls that went through, with the plan's view of each. */
  const priced = () => result.invocations.filter((r) => r.result === 'ok').map((r) => ({ record: r, planned: result.plan[r.index]! }));

  it('answers every planned invocation as the plan meant it: provider errors fail, policies refuse, the rest are priced as planned', () => {
    expect(result.invocations.map((r) => r.index).sort((a, b) => a - b)).toEqual(result.plan.map((p) => p.index));
    for (const record of result.invocations) {
      const planned = result.plan[record.index]!;
      if (planned.intent === 'provider-error') {
        expect(record.result).toBe('error');
        expect(record.error).toMatch(/^ProviderError: /);
      } else if (planned.intent === 'policy-block') {
        expect(record.result).toBe('policy-block');
      } else if (record.result === 'ok') {
        expect(record.usage!.costUsd).toBeCloseTo(planned.expectedCostUsd, 12);
        expect(record.usage!.model).toBe(planned.model);
      } else {
        // Only the chat function checks a budget, and only its exhaustion refuses a call.
        expect([planned.fn, record.result]).toEqual(['chat', 'budget-block']);
      }
    }
    for (const intent of ['ok', 'provider-error', 'policy-block'] as const) expect(result.plan.some((p) => p.intent === intent)).toBe(true);
  });

  it('reports cost and tokens by team, customer and model equal to what the functions answered', () => {
    const generated = priced().reduce((sum, { record }) => sum + record.usage!.costUsd, 0);
    expect(summary.cost.totalUsd).toBeCloseTo(generated, 9);
    expect(summary.cost.calls).toBe(priced().length);
    const tally = (key: (p: ReturnType<typeof priced>[number]) => string): Record<string, { calls: number; cost: number; input: number }> => {
      const out: Record<string, { calls: number; cost: number; input: number }> = {};
      for (const p of priced()) {
        const row = (out[key(p)] ??= { calls: 0, cost: 0, input: 0 });
        row.calls++;
        row.cost += p.record.usage!.costUsd;
        row.input += p.record.usage!.inputTokens;
      }
      return out;
    };
    const check = (rows: LocalRunSummary['cost']['byTeam'], expected: ReturnType<typeof tally>): void => {
      expect(rows.map((r) => r.key).sort()).toEqual(Object.keys(expected).sort());
      for (const row of rows) {
        expect(row.calls).toBe(expected[row.key]!.calls);
        expect(row.inputTokens).toBe(expected[row.key]!.input);
        expect(row.costUsd).toBeCloseTo(expected[row.key]!.cost, 9);
      }
    };
    check(summary.cost.byTeam, tally((p) => p.planned.team));
    check(summary.cost.byCustomer, tally((p) => p.planned.customer));
    check(summary.cost.byModel, tally((p) => p.record.usage!.model));
    expect(summary.cost.byTeam.map((r) => r.key).sort()).toEqual(['legal', 'search', 'support']);
  });

  it('counts exactly the generated cost in the ledger, for every budget, and reports it', () => {
    const matches: Record<string, (p: ReturnType<typeof priced>[number]) => boolean> = {
      'support-daily': (p) => p.planned.team === 'support', 'acme-monthly': (p) => p.planned.customer === 'acme', 'legal-monthly': (p) => p.planned.team === 'legal',
    };
    for (const [id, match] of Object.entries(matches)) {
      const expected = priced().filter(match).reduce((sum, p) => sum + BigInt(usdToNanos(p.record.usage!.costUsd)), 0n);
      expect(expected).toBeGreaterThan(0n);
      expect(ledger.get(id)).toBe(expected);
      expect(summary.budgets.find((b) => b.id === id)!.consumedUsd).toBeCloseTo(Number(expected) / 1e9, 9);
    }
    const support = summary.budgets.find((b) => b.id === 'support-daily')!;
    expect(support.utilizationPct).toBeGreaterThanOrEqual(90);
  });

  it('delivers every span on the stream to Honeycomb exactly once, unless its trace was sampled out by the rule', () => {
    const sampler = new Sampler(OPTIONS.sampleRate, 0.05);
    const notable = new Set(stream.spans.filter((s) => sampler.isNotable(s.span)).map((s) => s.span.traceId));
    const arrivals = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const id = e.data['trace.span_id'];
      if (typeof id === 'string' && e.data['meta.annotation_type'] === undefined) arrivals.set(id, [...(arrivals.get(id) ?? []), e]);
    }
    let sampledOut = 0;
    for (const { span } of stream.spans) {
      const kept = notable.has(span.traceId) || sampler.keepsTrace(span.traceId);
      const arrived = arrivals.get(span.spanId) ?? [];
      expect(arrived.length, `span ${span.name} ${span.spanId}`).toBe(kept ? 1 : 0);
      if (kept) expect(arrived[0]!.samplerate).toBe(notable.has(span.traceId) ? 1 : OPTIONS.sampleRate);
      else sampledOut++;
    }
    expect(arrivals.size).toBe(stream.spans.length - sampledOut);
    expect(sampledOut).toBeGreaterThan(0);
    expect(summary.events.sampledOut).toBe(sampledOut);
    expect(summary.events.spansExported).toBe(stream.spans.length);
    expect(summary.events.duplicates).toBe(0);
    // Every answered invocation's root span is on the stream: nothing was left in a frozen process.
    for (const record of result.invocations) expect(stream.invocationIds.has(record.requestId)).toBe(true);
    expect(summary.lost).toEqual({ spans: 0, missingRootSpans: 0, droppedByLayer: 0, heldAtShutdown: 0, undelivered: 0, discardedByMapping: 0 });
  });

  it("sums to the generated cost in Honeycomb's roll-ups, which count sampled-out spans too", () => {
    const generated = priced().reduce((sum, { record }) => sum + record.usage!.costUsd, 0);
    const rollups = events.filter((e) => e.data.name === 'genops.cost.rollup').reduce((sum, e) => sum + Number(e.data['genops.rollup.cost_usd']), 0);
    expect(rollups).toBeCloseTo(generated, 9);
    expect(summary.events.rollupCostUsd).toBeCloseTo(generated, 9);
  });

  it('posts one marker and one alert for each threshold the spend crossed, and no other', () => {
    const expected = new Set<string>();
    for (const budget of summary.budgets) {
      for (const threshold of [50, 80, 90, 100]) {
        if (ledger.get(budget.id)! * 100n >= BigInt(threshold) * BigInt(usdToNanos(budget.limitUsd))) expected.add(`${budget.id}@${threshold}`);
      }
    }
    const posted = markers.filter((m) => m.marker.type === 'budget').map((m) => {
      const [, id, threshold] = /^Budget (\S+) crossed (\d+)%/.exec(m.marker.message ?? '')!;
      return `${id}@${threshold}`;
    });
    expect(posted.sort()).toEqual([...expected].sort());
    expect(expected.has('support-daily@90')).toBe(true);
    expect(summary.markers.posted).toBe(posted.length);
    expect(alertsPublished).toBe(posted.length);
    expect(summary.alerts).toHaveLength(posted.length);
  });

  it('dead-letters the malformed records with their reason and nothing else', () => {
    expect(deadLetters.map((d) => d.code)).toEqual(['unrecognized-record', 'unrecognized-record']);
    expect(deadLetters.every((d) => d.reason.length > 10)).toBe(true);
    expect(summary.events.deadLettered).toBe(2);
    expect(summary.events.malformedRecords).toBe(2);
  });

  it('stops every execution environment it started', () => {
    expect(result.pids.length).toBe(3 * OPTIONS.concurrency + 2 + 1);
    for (const pid of result.pids) expect(gone(pid), `pid ${pid}`).toBe(true);
  });
});

interface CliRun { code: number | null; stdout: string; stderr: string }

function startCli(args: string[], env: Record<string, string> = {}): { child: ReturnType<typeof spawn>; done: Promise<CliRun>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

const SHORT = ['--duration', '2', '--rate', '6', '--budget-interval', '1', '--concurrency', '1'];

describe('npm start (the CLI)', () => {
  let yours: HoneycombStandIn;
  let secrets: SecretsManagerStandIn;
  const dir = mkdtempSync(join(tmpdir(), 'lg-start-'));

  beforeAll(async () => {
    // "Your" Honeycomb and Secrets Manager: separate from anything npm start starts itself.
    [yours, secrets] = await Promise.all([HoneycombStandIn.start(), SecretsManagerStandIn.start()]);
  });
  afterAll(async () => {
    await Promise.all([yours?.stop(), secrets?.stop()]);
  });

  it('ships to the Honeycomb in HONEYCOMB_API_HOST with HONEYCOMB_API_KEY, says so, and never prints the keys', async () => {
    yours.addDataset('my-team-genops');
    const report = join(dir, 'key.json');
    const run = await startCli([...SHORT, '--report', report], {
      HONEYCOMB_API_KEY: yours.ingestKey, HONEYCOMB_CONFIG_KEY: yours.configKey, HONEYCOMB_API_HOST: yours.url, HONEYCOMB_DATASET: 'my-team-genops',
    }).done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Data went to Honeycomb at ${yours.url}, dataset my-team-genops (the key in HONEYCOMB_API_KEY).`);
    const summary = JSON.parse(readFileSync(report, 'utf8')) as LocalRunSummary;
    const arrived = yours.events('my-team-genops').filter((e) => e.data.name !== 'genops.budget.snapshot');
    expect(arrived.length).toBe(summary.events.delivered);
    expect(arrived.length).toBeGreaterThan(0);
    expect(yours.markers('my-team-genops').length).toBe(summary.markers.posted);
    expect(summary.markers.posted).toBeGreaterThan(0);
    expect(summary.lost.spans).toBe(0);
    for (const text of [run.stdout, ...readdirSync(join(ROOT, 'dist', 'local-run', 'logs')).map((f) => readFileSync(join(ROOT, 'dist', 'local-run', 'logs', f), 'utf8'))]) {
      expect(text).not.toContain(yours.ingestKey);
      expect(text).not.toContain(yours.configKey);
    }
  }, 120_000);

  it('reads the keys from the secret in HONEYCOMB_SECRET, through the Secrets Manager endpoint the user set', async () => {
    yours.addDataset('from-secret');
    secrets.put('team/honeycomb', JSON.stringify({ ingestKey: yours.ingestKey, configKey: yours.configKey }));
    const run = await startCli(SHORT, {
      HONEYCOMB_SECRET: 'team/honeycomb', HONEYCOMB_API_HOST: yours.url, HONEYCOMB_DATASET: 'from-secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1',
    }).done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Data went to Honeycomb at ${yours.url}, dataset from-secret (keys from secret team/honeycomb).`);
    expect(secrets.getCount('team/honeycomb')).toBeGreaterThan(0);
    expect(yours.events('from-secret').length).toBeGreaterThan(0);
  }, 120_000);

  it('stops every process it started on Ctrl-C', async () => {
    const cli = startCli(['--duration', '120', '--concurrency', '1']);
    await expect.poll(cli.output, { timeout: 60_000, interval: 100 }).toContain('▸ sending');
    const started = descendants(cli.child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(5);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stdout).toContain('interrupted: every process the run started has stopped');
    for (const pid of started) expect(gone(pid), `pid ${pid}`).toBe(true);
  }, 120_000);

  it('refuses a bad option before starting anything, naming it', async () => {
    const run = await startCli(['--rate', '0']).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--rate: must be between 1 and 500, got 0');
    const typo = await startCli(['--durration', '5']).done;
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean --duration?');
  }, 60_000);
});
