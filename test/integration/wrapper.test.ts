import { SpanKind, trace, context as otelContext } from '@opentelemetry/api';
import middy from '@middy/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { governance } from '../../layers/governance/src/governance.js';
import { ConfigurationError } from '../../layers/governance/src/errors.js';
import { resetWarnings } from '../../layers/governance/src/logger.js';
import { createMiddleware } from '../../layers/governance/src/middy.js';
import { STREAMING_SYMBOL } from '../../layers/governance/src/semconv.js';
import type { GovernanceRuntime } from '../../layers/governance/src/runtime.js';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/local/otlp-receiver.js';
import { createRuntime, lambdaContext, wrap } from '../support/runtime.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

let receiver: OtlpReceiver;
let runtime: GovernanceRuntime;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  runtime = createRuntime({
    GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    GOVERNANCE_TEAM: 'ai-eng', GOVERNANCE_ENVIRONMENT: 'test', GOVERNANCE_REDACT_KEYS: 'internal.*',
    GOVERNANCE_MAX_ATTRIBUTES: '40', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  });
});
afterAll(() => receiver.stop());
afterEach(() => {
  receiver.clear();
  vi.restoreAllMocks();
  resetWarnings();
});

const root = (spans: ReceivedSpan[]): ReceivedSpan => spans.find((s) => s.name === 'test-fn' || s.name === 'named-root')!;

describe('withGovernance: what the handler returns and throws', () => {
  it('returns the result unchanged and has delivered the spans when it resolves', async () => {
    const result = { statusCode: 200, body: 'hello' };
    const handler = wrap(runtime, async () => result);
    await expect(handler({}, lambdaContext())).resolves.toBe(result);
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.spans[0]!.attributes['genops.team']).toBe('ai-eng');
  });

  it('rethrows the very same error object and records it on the root span', async () => {
    class ModelError extends Error {}
    const error = new ModelError('model unavailable');
    const handler = wrap(runtime, async () => {
      throw error;
    });
    const thrown = await handler({}, lambdaContext()).catch((e: unknown) => e);
    expect(thrown).toBe(error);
    const span = root(receiver.spans);
    expect(span.status).toEqual({ code: 2, message: 'model unavailable' });
    expect(span.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'model unavailable' });
  });

  it('passes a thrown non-Error value through unchanged', async () => {
    const handler = wrap(runtime, () => {
      throw 'plain string';
    });
    await expect(handler({}, lambdaContext())).rejects.toBe('plain string');
  });

  it('returns a function of at most two parameters and supports callback-style handlers', async () => {
    const callbackHandler = (event: { n: number }, _context: unknown, callback: (e: unknown, r?: number) => void): void => {
      setImmediate(() => callback(null, event.n * 2));
    };
    const handler = wrap(runtime, callbackHandler as never) as (e: { n: number }, c: unknown) => Promise<number>;
    expect(handler.length).toBeLessThanOrEqual(2);
    await expect(handler({ n: 21 }, lambdaContext())).resolves.toBe(42);
    const failing = wrap(runtime, ((_e: unknown, _c: unknown, cb: (e: unknown) => void) => cb(new Error('cb failed'))) as never) as (e: unknown, c: unknown) => Promise<unknown>;
    await expect(failing({}, lambdaContext())).rejects.toThrow('cb failed');
  });

  it('keeps the response-streaming marker and the three streaming parameters', async () => {
    const streaming = Object.assign(async (_event: unknown, stream: { chunks: string[] }) => {
      stream.chunks.push('hi');
    }, { [STREAMING_SYMBOL]: 'response' });
    const handler = wrap(runtime, streaming as never) as unknown as ((e: unknown, s: unknown, c: unknown) => Promise<void>) & Record<symbol, unknown>;
    expect(handler[STREAMING_SYMBOL]).toBe('response');
    const stream = { chunks: [] as string[] };
    await handler({}, stream, lambdaContext());
    expect(stream.chunks).toEqual(['hi']);
    expect(receiver.spans).toHaveLength(1);
  });

  it('is a no-op when wrapped twice: one root span per invocation', async () => {
    const once = wrap(runtime, async () => 'x');
    const twice = wrap(runtime, once);
    expect(twice).toBe(once);
    await twice({}, lambdaContext());
    expect(receiver.spans).toHaveLength(1);
  });

  it('rejects unknown options at wrap time, naming the option', () => {
    expect(() => wrap(runtime, async () => 1, { tem: 'typo' } as never)).toThrow(ConfigurationError);
    expect(() => wrap(runtime, async () => 1, { tem: 'typo' } as never)).toThrow(/option "tem"/);
    expect(() => wrap(runtime, async () => 1, { team: 42 } as never)).toThrow(/option "team"/);
  });
});

describe('the root span', () => {
  it('carries the FaaS and cloud conventions, with coldstart true only on the first invocation', async () => {
    const fresh = createRuntime({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', AWS_LAMBDA_FUNCTION_VERSION: '7' });
    const handler = wrap(fresh, async () => 'ok');
    const context = lambdaContext();
    await handler({ requestContext: { http: { method: 'GET' } }, headers: {} }, context);
    await handler({}, lambdaContext());
    const [first, second] = receiver.spans;
    expect(first!.kind).toBe(SpanKind.SERVER + 1); // OTLP kinds are offset by one from the API enum
    expect(first!.attributes).toMatchObject({
      'faas.trigger': 'http', 'faas.coldstart': true, 'faas.invocation_id': context.awsRequestId,
      'cloud.account.id': '123456789012', 'aws.lambda.invoked_arn': context.invokedFunctionArn,
      'cloud.resource_id': 'arn:aws:lambda:us-east-1:123456789012:function:test-fn',
    });
    expect(first!.resource).toMatchObject({
      'service.name': 'test-fn', 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'cloud.region': 'us-east-1',
      'faas.name': 'test-fn', 'faas.version': '7', 'faas.max_memory': 512 * 1_048_576,
    });
    expect(second!.attributes['faas.coldstart']).toBe(false);
    expect(second!.attributes['faas.trigger']).toBe('other');
  });

  it('continues the trace of an API Gateway caller', async () => {
    const handler = wrap(runtime, async () => 'ok');
    await handler({ version: '2.0', headers: { traceparent: `00-${TRACE}-${PARENT}-01` }, requestContext: { http: { method: 'GET' } } }, lambdaContext());
    expect(receiver.spans[0]).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
  });

  it('records even when the caller did not sample: governance data is never sampled away at the source', async () => {
    const handler = wrap(runtime, async () => 'ok');
    await handler({ version: '2.0', headers: { traceparent: `00-${TRACE}-${PARENT}-00` }, requestContext: { http: { method: 'GET' } } }, lambdaContext());
    expect(receiver.spans).toHaveLength(1);
  });

  it('marks HTTP 5xx responses as errors and records the status code', async () => {
    const handler = wrap(runtime, async () => ({ statusCode: 503, body: '' }));
    await handler({ requestContext: { http: { method: 'GET' } }, headers: {} }, lambdaContext());
    expect(receiver.spans[0]!.attributes['http.response.status_code']).toBe(503);
    expect(receiver.spans[0]!.status.code).toBe(2);
  });
});

describe('governance context and child spans', () => {
  it('applies precedence: environment < options < extracted < set() < per-call overrides', async () => {
    const handler = wrap(runtime, async () => {
      expect(governance.get()).toMatchObject({ team: 'platform', project: 'bot', customer_id: 'from-claim', environment: 'test' });
      governance.set({ customer_id: 'from-code', feature: 'chat' });
      governance.recordCost({ provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 1, outputTokens: 1, context: { feature: 'override' } });
      return 'ok';
    }, { team: 'platform', project: 'bot', extract: { customer_id: 'claim:sub' } });
    await handler({ requestContext: { http: { method: 'GET' }, authorizer: { jwt: { claims: { sub: 'from-claim' } } } }, headers: {} }, lambdaContext());
    const cost = receiver.spans.find((s) => s.attributes['genops.cost.total'] !== undefined)!;
    expect(cost.attributes).toMatchObject({ 'genops.team': 'platform', 'genops.customer_id': 'from-code', 'genops.feature': 'override' });
    expect(root(receiver.spans).attributes).toMatchObject({ 'genops.customer_id': 'from-code', 'genops.feature': 'chat', 'genops.environment': 'test' });
  });

  it('parents child spans from governance.span() and from the plain OTel API through awaits', async () => {
    const handler = wrap(runtime, async () => {
      await governance.span('outer', async () => {
        await new Promise((r) => setTimeout(r, 2));
        await trace.getTracer('user-lib').startActiveSpan('inner', async (span) => {
          await Promise.resolve();
          span.end();
        });
      });
    });
    await handler({}, lambdaContext());
    const rootSpan = root(receiver.spans);
    const outer = receiver.spans.find((s) => s.name === 'outer')!;
    const inner = receiver.spans.find((s) => s.name === 'inner')!;
    expect(outer.parentSpanId).toBe(rootSpan.spanId);
    expect(inner.parentSpanId).toBe(outer.spanId);
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBe(1);
    expect(inner.attributes['genops.team']).toBe('ai-eng');
  });

  it('keeps each concurrent invocation in its own context (several invocations in one process)', async () => {
    const handler = wrap(runtime, async (event: { customer: string }) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      governance.set({ customer_id: event.customer });
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      governance.recordCost({ provider: 'openai', model: 'gpt-4o', inputTokens: 10, outputTokens: 10 });
      return governance.get().customer_id;
    });
    const customers = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
    const results = await Promise.all(customers.map((customer) => handler({ customer }, lambdaContext())));
    expect(results).toEqual(customers);
    const roots = receiver.spans.filter((s) => s.parentSpanId === '');
    expect(roots).toHaveLength(20);
    for (const costSpan of receiver.spans.filter((s) => s.parentSpanId !== '')) {
      const parent = roots.find((r) => r.spanId === costSpan.parentSpanId)!;
      expect(costSpan.attributes['genops.customer_id']).toBe(parent.attributes['genops.customer_id']);
    }
  });

  it('is a warned no-op outside an invocation and never throws', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(() => governance.set({ team: 'x' })).not.toThrow();
    expect(governance.recordCost({ provider: 'openai', model: 'gpt-4o', inputTokens: 1 })).toBeUndefined();
    expect(governance.get()).toEqual({});
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('outside a governed invocation'));
  });
});

describe('recorders', () => {
  it('computes cost from the price table and emits genops.* and gen_ai.* twins, one cost per span', async () => {
    let first: unknown;
    const handler = wrap(runtime, async () => {
      first = governance.recordCost({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', inputTokens: 1_000_000, outputTokens: 200_000 });
      governance.recordCost({ provider: 'acme', model: 'house-model', inputTokens: 10, outputTokens: 10, totalCost: 0.5 });
    });
    await handler({}, lambdaContext());
    expect(first).toEqual({ inputCost: 3, outputCost: 3, totalCost: 6, estimated: true });
    const costs = receiver.spans.filter((s) => s.attributes['genops.cost.total'] !== undefined);
    expect(costs).toHaveLength(2);
    expect(costs[0]!).toMatchObject({ name: 'chat claude-sonnet-4-5-20250929', kind: 3 });
    expect(costs[0]!.attributes).toMatchObject({
      'genops.cost.total': 6, 'genops.cost.input': 3, 'genops.cost.output': 3, 'genops.cost.provider': 'anthropic',
      'genops.tokens.input': 1_000_000, 'genops.tokens.output': 200_000, 'genops.tokens.total': 1_200_000,
      'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.input_tokens': 1_000_000, 'gen_ai.usage.output_tokens': 200_000, 'gen_ai.operation.name': 'chat',
    });
    expect(costs[1]!.attributes).toMatchObject({ 'genops.cost.total': 0.5, 'genops.cost.estimated': false });
    expect(root(receiver.spans).attributes['genops.cost.total']).toBeUndefined();
  });

  it('annotates the active child span when it has no cost yet', async () => {
    const handler = wrap(runtime, async () => {
      await governance.span('chat gpt-4o', async () => {
        governance.recordCost({ provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 10 });
      });
    });
    await handler({}, lambdaContext());
    expect(receiver.spans).toHaveLength(2);
    expect(receiver.spans.find((s) => s.name === 'chat gpt-4o')!.attributes['genops.cost.total']).toBeCloseTo(0.00035, 9);
  });

  it('uses price overrides from the wrapper options', async () => {
    const handler = wrap(runtime, async () => governance.recordCost({ provider: 'acme', model: 'x1', inputTokens: 2_000_000 }), { prices: { 'acme/x1': { input: 0.5, output: 1 } } });
    await expect(handler({}, lambdaContext())).resolves.toMatchObject({ totalCost: 1 });
  });

  it('records policy, budget and evaluation fields', async () => {
    const handler = wrap(runtime, async () => {
      governance.recordPolicy({ name: 'pii-filter', result: 'blocked', reason: 'ssn', responseTimeMs: 1.5 });
      governance.recordBudget({ id: 'ai-eng-daily', limit: 200, consumed: 150 });
      governance.recordEvaluation({ safety: 0.98, accuracy: 0.9 });
    });
    await handler({}, lambdaContext());
    expect(receiver.spans[0]!.attributes).toMatchObject({
      'genops.policy.name': 'pii-filter', 'genops.policy.result': 'blocked', 'genops.policy.reason': 'ssn', 'genops.policy.response_time': 1.5,
      'genops.budget.id': 'ai-eng-daily', 'genops.budget.limit': 200, 'genops.budget.consumed': 150, 'genops.budget.remaining': 50, 'genops.budget.utilization_pct': 75,
      'genops.eval.safety': 0.98, 'genops.eval.accuracy': 0.9, 'genops.eval.performed': true,
    });
    expect(receiver.spans[0]!.events.some((e) => e.name === 'genops.policy')).toBe(true);
  });

  it('drops bad run-time values field by field, with one warning each, and keeps the rest', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = wrap(runtime, async () => {
      for (let i = 0; i < 3; i++) {
        governance.set({ customer_id: 12345 as unknown as string, user_id: 'u'.repeat(10_000), feature: 'ok-feature' });
        governance.recordCost({ provider: 'openai', model: 'gpt-4o', inputTokens: -5, outputTokens: 10 });
      }
      governance.recordPolicy({ name: 'p', result: 'maybe' as never });
      return 'still fine';
    });
    await expect(handler({}, lambdaContext())).resolves.toBe('still fine');
    const rootAttrs = root(receiver.spans).attributes;
    expect(rootAttrs['genops.feature']).toBe('ok-feature');
    expect(rootAttrs['genops.customer_id']).toBeUndefined();
    expect(rootAttrs['genops.user_id']).toBeUndefined();
    const cost = receiver.spans.find((s) => s.attributes['genops.tokens.output'] === 10)!;
    expect(cost.attributes['genops.tokens.input']).toBeUndefined();
    const messages = warn.mock.calls.map((c) => String(c[0]));
    expect(messages.filter((m) => m.includes('"customer_id" must be a string'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('"user_id" is 10000 characters'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('inputTokens'))).toHaveLength(1);
    expect(messages.some((m) => m.includes('u'.repeat(100)))).toBe(false);
  });

  it('redacts denylisted keys (defaults and configured) and caps the attribute count', async () => {
    const handler = wrap(runtime, async () => {
      const span = trace.getActiveSpan()!;
      span.setAttribute('http.request.header.authorization', 'Bearer secret-token');
      span.setAttribute('internal.user_email', 'a@b.c');
      for (let i = 0; i < 100; i++) span.setAttribute(`extra.${i}`, i);
    });
    await handler({}, lambdaContext());
    const attrs = receiver.spans[0]!.attributes;
    expect(attrs['http.request.header.authorization']).toBe('[REDACTED]');
    expect(attrs['internal.user_email']).toBe('[REDACTED]');
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(40);
    expect(JSON.stringify(receiver.spans)).not.toContain('secret-token');
  });
});

describe('the Middy middleware', () => {
  it('traces, carries the context into the handler and flushes; the handler error passes through', async () => {
    const handler = middy(async (event: { fail?: boolean }) => {
      governance.set({ customer_id: 'middy-customer' });
      await governance.span('middy-child', async () => undefined);
      if (event.fail) throw new Error('middy handler failed');
      return 'done';
    }).use(createMiddleware(runtime, { project: 'middy-project' }));
    await expect(handler({}, lambdaContext())).resolves.toBe('done');
    const rootSpan = receiver.spans.find((s) => s.parentSpanId === '')!;
    const child = receiver.spans.find((s) => s.name === 'middy-child')!;
    expect(child.parentSpanId).toBe(rootSpan.spanId);
    expect(rootSpan.attributes).toMatchObject({ 'genops.project': 'middy-project', 'genops.customer_id': 'middy-customer' });
    receiver.clear();
    const error = await handler({ fail: true }, lambdaContext()).catch((e: Error) => e);
    expect((error as Error).message).toBe('middy handler failed');
    expect(receiver.spans.find((s) => s.parentSpanId === '')!.status.code).toBe(2);
    expect(otelContext.active()).toBeDefined();
  });
});

describe('run-time helpers with a broken environment', () => {
  it('never throw a configuration error into user code outside an invocation', async () => {
    const saved = process.env.GOVERNANCE_EXPORTER;
    process.env.GOVERNANCE_EXPORTER = 'not-an-exporter';
    try {
      await expect(governance.span('outside', async () => 'value')).resolves.toBe('value');
      expect(() => governance.stats()).not.toThrow();
      expect(() => governance.tracer).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.GOVERNANCE_EXPORTER;
      else process.env.GOVERNANCE_EXPORTER = saved;
    }
  });
});
