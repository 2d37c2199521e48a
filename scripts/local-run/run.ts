/**
 * The whole pipeline on one machine: build, start the services and functions, run the budget function on its
 * (compressed) schedule, feed the aggregator through the event source mapping while the load runs, then drain,
 * check the budgets a last time, read everything back and summarise. Everything started is stopped on every
 * path, including an abort (Ctrl-C).
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { AggregationSummary } from '../../functions/aggregator/handler.js';
import type { BudgetRunSummary } from '../../functions/budget/handler.js';
import { EventSourceMapping, type KinesisOnFailureRecord } from '../local/event-source-mapping.js';
import { budgetsFor, ENFORCED_BUDGET_ID } from './budgets.js';
import { LoadDriver, type InvocationRecord } from './driver.js';
import { AGGREGATOR_TIMEOUT_MS, allPools, buildFunctions, startFunctions, type LocalFunctions } from './functions.js';
import type { HoneycombTarget, LocalRunOptions } from './options.js';
import { LocalServices, RESOURCE_NAMES, STREAM_SHARDS } from './services.js';
import { auditStream } from './stream-audit.js';
import { summarize, type LocalRunSummary } from './summary.js';
import { planWorkload, type PlannedInvocation } from './workload.js';

export interface Progress {
  elapsedMs: number;
  planned: number;
  sent: number;
  answered: number;
  failed: number;
  blocked: number;
  /** Records the event source mapping handed to the aggregator, and the events Honeycomb accepted. */
  recordsAggregated: number;
  eventsDelivered: number;
  budgetRuns: number;
  enforcedBudgetPct?: number;
}

export interface LocalRunHooks {
  /** Aborting stops the load; the run then stops everything it started and rejects with RunInterruptedError. */
  signal?: AbortSignal;
  onStage?: (message: string) => void;
  onProgress?: (progress: Progress) => void;
  /** Where the layer and the functions are built (dist/local-run by default). */
  buildDir?: string;
  /** Called with the live parts before anything stops (tests look inside). */
  beforeStop?: (live: { services: LocalServices; functions: LocalFunctions; plan: readonly PlannedInvocation[] }) => Promise<void>;
}

export interface LocalRunResult {
  summary: LocalRunSummary;
  plan: PlannedInvocation[];
  invocations: InvocationRecord[];
  /** Process ids of every execution environment the run started (all stopped when it resolves). */
  pids: number[];
}

export class RunInterruptedError extends Error {
  public override readonly name = 'RunInterruptedError';
  public constructor() {
    super('interrupted');
  }
}

const SCHEDULED_EVENT = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', account: '123456789012', region: 'us-east-1', resources: [], detail: {} };

export async function runLocalPipeline(options: LocalRunOptions, target: HoneycombTarget, hooks: LocalRunHooks = {}): Promise<LocalRunResult> {
  const started = performance.now();
  const signal = hooks.signal ?? new AbortController().signal;
  const stage = hooks.onStage ?? (() => undefined);

  stage('building the layer, the sample functions and the pipeline functions');
  const bundles = await buildFunctions(hooks.buildDir);
  const plan = planWorkload({ durationMs: options.durationMs, rate: options.rate, seed: options.seed });
  const budgets = budgetsFor(plan);

  stage('starting kinesalite, dynalite and the Secrets Manager, SQS, SNS' + (target.kind === 'stand-in' ? ' and Honeycomb stand-ins' : ' stand-ins'));
  const services = await LocalServices.start(target);
  let functions: LocalFunctions | undefined;
  let esm: EventSourceMapping | undefined;
  let scheduler: Promise<void> | undefined;
  let stopScheduler = (): void => undefined;
  const pids: number[] = [];
  try {
    stage(`starting ${3 * options.concurrency} sample environments, ${STREAM_SHARDS} aggregator environments and the budget function`);
    functions = await startFunctions({ services, target, budgets, bundles, concurrency: options.concurrency, sampleRate: options.sampleRate });
    const live = functions;
    pids.push(...allPools(live).flatMap((p) => p.pids));

    const budgetRuns: BudgetRunSummary[] = [];
    const budgetRunFailures: string[] = [];
    const runBudgets = async (): Promise<void> => {
      const outcome = await live.budget.invoke(SCHEDULED_EVENT).catch((error: Error) => ({ error: { errorType: error.name, errorMessage: error.message }, result: undefined }));
      if (outcome.error) budgetRunFailures.push(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      else budgetRuns.push(outcome.result as BudgetRunSummary);
    };
    stage('running the budget function once, so budget checks find their budgets');
    await runBudgets();

    const discarded: KinesisOnFailureRecord[] = [];
    esm = new EventSourceMapping({
      kinesis: services.kinesis.client, streamName: RESOURCE_NAMES.stream, functionName: 'aggregator',
      handler: async (event) => {
        const outcome = await live.aggregator.invoke(event);
        if (outcome.error) throw new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
        return outcome.result as KinesisStreamBatchResponse;
      },
      batchSize: 100, maximumBatchingWindowMs: 500, pollIntervalMs: 100, reportBatchItemFailures: true, bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 10, timeoutMs: AGGREGATOR_TIMEOUT_MS + 1_000, onFailure: async (record) => void discarded.push(record),
    });
    await esm.start();

    let schedulerStopped = false;
    let wake = (): void => undefined;
    stopScheduler = () => {
      schedulerStopped = true;
      wake();
    };
    scheduler = (async () => {
      while (!schedulerStopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.budgetIntervalMs);
          wake = () => { clearTimeout(timer); resolve(); };
        });
        if (!schedulerStopped) await runBudgets();
      }
    })();

    if (options.malformed > 0) {
      // A misbehaving producer: records that are not governance stream records belong in the dead-letter queue.
      await services.kinesis.client.send(new PutRecordsCommand({
        StreamName: RESOURCE_NAMES.stream,
        Records: Array.from({ length: options.malformed }, (_, i) => ({ Data: new TextEncoder().encode(`{"not":"a governance record","n":${i}}`), PartitionKey: `misconfigured-producer-${i}` })),
      }));
    }

    const aggregations = (): AggregationSummary[] => live.aggregator.logs.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const parsed = JSON.parse(line) as AggregationSummary & { message?: string };
      return parsed.message === 'aggregated' ? [parsed] : [];
    });
    const driver = new LoadDriver(plan, live.samples);
    const report = (): void => {
      const enforced = budgetRuns.at(-1)?.budgets.find((b) => b.id === ENFORCED_BUDGET_ID);
      const agg = aggregations();
      hooks.onProgress?.({
        elapsedMs: performance.now() - started, planned: plan.length, sent: driver.sent, answered: driver.records.length,
        failed: driver.records.filter((r) => r.result === 'error').length,
        blocked: driver.records.filter((r) => r.result === 'policy-block' || r.result === 'budget-block').length,
        recordsAggregated: esm!.stats.recordsDelivered, eventsDelivered: agg.reduce((sum, a) => sum + a.accepted, 0),
        budgetRuns: budgetRuns.length, ...(enforced && { enforcedBudgetPct: enforced.utilizationPct }),
      });
    };
    stage(`sending ${plan.length} invocations over ${options.durationMs / 1000} s to chat, summarise and embed`);
    const ticker = setInterval(report, 1_000);
    try {
      await driver.run(signal);
      if (signal.aborted) throw new RunInterruptedError();
      stage('draining the stream through the aggregator');
      await esm.drain(120_000);
    } finally {
      clearInterval(ticker);
    }
    await esm.stop();
    stopScheduler();
    await scheduler;
    stage('running the budget function a last time');
    await runBudgets();
    report();

    stage('reading back the stream, the ledger, the queue and Honeycomb');
    const stream = await auditStream(services.kinesis, RESOURCE_NAMES.stream);
    const discardedSpans = stream.spans.filter((s) => discarded.some((d) => d.KinesisBatchInfo.shardId === s.shardId
      && BigInt(d.KinesisBatchInfo.startSequenceNumber) <= BigInt(s.sequenceNumber) && BigInt(s.sequenceNumber) <= BigInt(d.KinesisBatchInfo.endSequenceNumber))).length;
    const summary = summarize({
      options, target, ...(services.honeycomb && { standInUrl: services.honeycomb.url }),
      elapsedMs: performance.now() - started, planned: plan.length, sent: driver.sent,
      invocations: driver.records, stream, aggregations: aggregations(), discardedSpans,
      budgets, budgetRuns, budgetRunFailures, markersEnabled: live.markers,
      ...(services.honeycomb && { standInMarkers: services.honeycomb.markers(target.dataset), standInEvents: services.honeycomb.events(target.dataset) }),
      snsMessages: services.sns.messages(RESOURCE_NAMES.topic).length,
      deadLetterCodes: services.sqs.messages(RESOURCE_NAMES.queue).map((m) => (JSON.parse(m.body) as { code: string }).code),
    });
    await hooks.beforeStop?.({ services, functions: live, plan });
    return { summary, plan, invocations: driver.records, pids };
  } finally {
    stopScheduler();
    await scheduler?.catch(() => undefined);
    await esm?.stop().catch(() => undefined);
    if (functions) await Promise.all(allPools(functions).map((p) => p.stop()));
    await services.stop();
  }
}
