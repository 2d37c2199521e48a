/**
 * The core both adapters (withGovernance and the Middy middleware) share: one per process, built from the
 * environment at init. It starts an invocation (root span, governance context), and finishes it (status,
 * end, flush inside the deadline). finish() never throws.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context as otelContext, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Context as LambdaContext } from 'aws-lambda';
import { readConfig, type GovernanceConfig } from './config.js';
import { GovernanceContextManager } from './context-manager.js';
import { Flusher } from './flusher.js';
import { warnOnce } from './logger.js';
import { PriceBook, BUILT_IN_PRICES } from './pricing.js';
import { contextAttributes, Sanitizer } from './sanitize.js';
import { ATTR, INSTRUMENTATION_SCOPE } from './semconv.js';
import { SpanBuffer } from './span-buffer.js';
import { describeEvent, extractContext, type TriggerInfo } from './trigger.js';
import { createExporter } from './exporters/index.js';
import type { ExtractRules, GovernanceContext, TelemetryStats } from './types.js';
import { VERSION } from '../../../common/version.js';

export interface Invocation {
  readonly runtime: GovernanceRuntime;
  readonly rootSpan: Span;
  readonly context: Context;
  readonly trigger: TriggerInfo;
  readonly fields: GovernanceContext;
  readonly prices: PriceBook;
  readonly lambdaContext: LambdaContext | undefined;
  /** Spans that already carry a recorded cost, so a second cost opens its own span. */
  readonly costedSpans: WeakSet<Span>;
  /** `fields` as genops.* attributes, built once per change rather than once per span. */
  fieldAttributes?: Record<string, string>;
}

/** Merges `fields` into the invocation's context (validated) and drops the cached attributes. */
export function updateFields(invocation: Invocation, fields: unknown): void {
  invocation.runtime.sanitizer.mergeContext(invocation.fields as GovernanceContext, fields);
  invocation.fieldAttributes = undefined;
}

export function fieldAttributes(invocation: Invocation): Record<string, string> {
  invocation.fieldAttributes ??= contextAttributes(invocation.fields);
  return invocation.fieldAttributes;
}

/** Wrapper options after validation, ready for each invocation. */
export interface ResolvedOptions {
  fields: GovernanceContext;
  /** undefined when there is nothing to extract, so the hot path skips it without looking */
  extract: ExtractRules | undefined;
  prices: PriceBook;
  spanName?: string;
}

const invocations = new AsyncLocalStorage<Invocation>();

export function currentInvocation(): Invocation | undefined {
  return invocations.getStore();
}

let contextManager: GovernanceContextManager | undefined;

/** Registers our context manager unless the process already has one (then that one parents our spans). */
function ensureContextManager(): GovernanceContextManager | undefined {
  if (contextManager) return contextManager;
  const candidate = new GovernanceContextManager();
  if (otelContext.setGlobalContextManager(candidate)) contextManager = candidate;
  return contextManager;
}

function memoryBytes(mb: string | undefined): number | undefined {
  const n = Number(mb);
  return Number.isFinite(n) && n > 0 ? n * 1_048_576 : undefined;
}

export class GovernanceRuntime {
  public readonly tracer: Tracer;
  public readonly sanitizer: Sanitizer;
  public readonly prices: PriceBook;
  private readonly flusher: Flusher;
  private readonly buffer: SpanBuffer;
  private coldStart: boolean;

  public constructor(public readonly config: GovernanceConfig, env: Record<string, string | undefined> = process.env) {
    this.sanitizer = new Sanitizer(config.limits);
    this.prices = new PriceBook(BUILT_IN_PRICES, config.prices);
    this.coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';
    this.buffer = new SpanBuffer(config.maxQueuedSpans, config.redactPatterns, () => {
      const invocation = invocations.getStore();
      return invocation && invocation.runtime === this ? fieldAttributes(invocation) : undefined;
    });
    const resource = resourceFromAttributes({
      [ATTR.SERVICE_NAME]: config.serviceName,
      [ATTR.CLOUD_PROVIDER]: 'aws',
      [ATTR.CLOUD_PLATFORM]: 'aws_lambda',
      ...(config.region && { [ATTR.CLOUD_REGION]: config.region }),
      ...(env.AWS_LAMBDA_FUNCTION_NAME && { [ATTR.FAAS_NAME]: env.AWS_LAMBDA_FUNCTION_NAME }),
      ...(env.AWS_LAMBDA_FUNCTION_VERSION && { [ATTR.FAAS_VERSION]: env.AWS_LAMBDA_FUNCTION_VERSION }),
      ...(env.AWS_LAMBDA_LOG_STREAM_NAME && { [ATTR.FAAS_INSTANCE]: env.AWS_LAMBDA_LOG_STREAM_NAME }),
      ...(memoryBytes(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) && { [ATTR.FAAS_MAX_MEMORY]: memoryBytes(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) }),
      'telemetry.sdk.language': 'nodejs',
      'telemetry.distro.name': 'lambda-governance',
      'telemetry.distro.version': VERSION,
      ...config.resourceAttributes,
    });
    const provider = new BasicTracerProvider({
      resource,
      // Governance data must never be sampled away at the source: costs feed budgets. The aggregator samples.
      sampler: new AlwaysOnSampler(),
      spanLimits: { attributeCountLimit: config.limits.maxAttributes, attributeValueLengthLimit: config.limits.maxValueLength },
      spanProcessors: [this.buffer],
    });
    ensureContextManager();
    // Spans users create through the OTel API (their own or a library's) join the same flush.
    trace.setGlobalTracerProvider(provider);
    this.tracer = provider.getTracer(INSTRUMENTATION_SCOPE, VERSION);
    this.flusher = new Flusher(createExporter(config), this.buffer, config.maxCarryOverSpans);
  }

  public get stats(): TelemetryStats {
    return this.flusher.stats;
  }

  public start(event: unknown, lambdaContext: LambdaContext | undefined, options: ResolvedOptions): Invocation {
    const trigger = describeEvent(event);
    const parent = trigger.parent ? trace.setSpanContext(ROOT_CONTEXT, trigger.parent) : ROOT_CONTEXT;
    const coldStart = this.coldStart;
    this.coldStart = false;
    const arn = lambdaContext?.invokedFunctionArn;
    const attributes: Record<string, string | number | boolean> = {
      [ATTR.FAAS_TRIGGER]: trigger.trigger,
      [ATTR.FAAS_COLDSTART]: coldStart,
    };
    if (lambdaContext?.awsRequestId) attributes[ATTR.FAAS_INVOCATION_ID] = lambdaContext.awsRequestId;
    if (arn) {
      attributes[ATTR.AWS_LAMBDA_INVOKED_ARN] = arn;
      const parts = arn.split(':');
      if (parts[4]) attributes[ATTR.CLOUD_ACCOUNT_ID] = parts[4];
      // cloud.resource_id is the function ARN without an alias or version qualifier
      attributes[ATTR.CLOUD_RESOURCE_ID] = parts.slice(0, 7).join(':');
    }
    const dropped = this.flusher.takeUnreportedDrops();
    if (dropped > 0) attributes[ATTR.TELEMETRY_SPANS_DROPPED] = dropped;
    if (this.flusher.stats.carriedOver > 0) attributes[ATTR.TELEMETRY_SPANS_CARRIED_OVER] = this.flusher.stats.carriedOver;

    const fields: GovernanceContext = { ...this.config.defaults, ...options.fields };
    if (options.extract) this.sanitizer.mergeContext(fields, extractContext(event, options.extract));

    const name = options.spanName ?? lambdaContext?.functionName ?? this.config.serviceName;
    const rootSpan = this.tracer.startSpan(name, { kind: trigger.kind, attributes, links: trigger.links, root: !trigger.parent }, parent);
    return {
      runtime: this, rootSpan, context: trace.setSpan(parent, rootSpan), trigger, fields, prices: options.prices,
      lambdaContext, costedSpans: new WeakSet(),
    };
  }

  /** Runs `fn` inside the invocation: governance context and active span set for everything it awaits. */
  public run<T>(invocation: Invocation, fn: () => T): T {
    return invocations.run(invocation, () => otelContext.with(invocation.context, fn));
  }

  /** For the Middy adapter: make the invocation current for the rest of this request's async flow. */
  public enter(invocation: Invocation): void {
    invocations.enterWith(invocation);
    contextManager?.enter(invocation.context);
  }

  /** Ends the root span and flushes inside the deadline. Never throws. */
  public async finish(invocation: Invocation, outcome: { failed: boolean; error?: unknown; result?: unknown }): Promise<void> {
    try {
      const span = invocation.rootSpan;
      span.setAttributes(fieldAttributes(invocation));
      if (outcome.failed) {
        const error = outcome.error;
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      } else if (invocation.trigger.http) {
        const status = (outcome.result as { statusCode?: unknown } | undefined)?.statusCode;
        if (typeof status === 'number') {
          span.setAttribute(ATTR.HTTP_RESPONSE_STATUS_CODE, status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
    } catch (error) {
      warnOnce('finish-span', `could not end the invocation span: ${(error as Error).message}`);
    }
    await this.flush(invocation.lambdaContext);
  }

  /** Flushes within min(GOVERNANCE_FLUSH_TIMEOUT_MS, remaining time − margin). Never throws. */
  public async flush(lambdaContext?: LambdaContext): Promise<void> {
    let budget = this.config.flushTimeoutMs;
    try {
      const remaining = lambdaContext?.getRemainingTimeInMillis?.();
      if (typeof remaining === 'number' && Number.isFinite(remaining)) budget = Math.min(budget, remaining - this.config.flushMarginMs);
    } catch {
      // a hand-made context without a working getRemainingTimeInMillis: use the configured timeout
    }
    await this.flusher.flush(budget);
  }
}

let defaultRuntime: GovernanceRuntime | null | undefined;

/** The default runtime for run-time helpers, which must never throw a ConfigurationError into user code. */
export function existingRuntime(): GovernanceRuntime | null {
  try {
    return getDefaultRuntime();
  } catch {
    return null;
  }
}

/**
 * The process-wide runtime, built from the environment on first use (at init, when the handler is wrapped);
 * null when telemetry is switched off (GOVERNANCE_DISABLED, OTEL_SDK_DISABLED).
 */
export function getDefaultRuntime(): GovernanceRuntime | null {
  if (defaultRuntime === undefined) {
    const config = readConfig(process.env);
    defaultRuntime = config.enabled ? new GovernanceRuntime(config, process.env) : null;
  }
  return defaultRuntime;
}
