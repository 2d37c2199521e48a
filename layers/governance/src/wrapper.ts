/**
 * withGovernance(): the explicit wrapper. No import hooks, so CJS and ESM handlers on Node 20, 22 and 24
 * behave alike. The returned function takes (event, context) — Node 24 refuses handlers with three
 * parameters — unless it wraps a response-streaming handler, whose marker it keeps. The user's result and
 * error pass through untouched; telemetry failures are logged, never thrown.
 */
import type { Context } from 'aws-lambda';
import { warnOnce } from './logger.js';
import { resolveOptions } from './options.js';
import { getDefaultRuntime, type GovernanceRuntime, type Invocation, type ResolvedOptions } from './runtime.js';
import { STREAMING_SYMBOL } from './semconv.js';
import type { GovernanceOptions } from './types.js';

const WRAPPED = Symbol.for('lambda-governance.wrapped');

type AnyFunction = (...args: any[]) => any;

function isStreaming(handler: AnyFunction): boolean {
  return (handler as unknown as Record<symbol, unknown>)[STREAMING_SYMBOL] === 'response';
}

/** Calls a handler that may be promise-style or callback-style and returns one promise for its outcome. */
function callHandler(handler: AnyFunction, args: unknown[]): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve().then(() => handler(...args));
  return new Promise((resolve, reject) => {
    const returned = handler(...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
    if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(resolve, reject);
  });
}

function safeStart(runtime: GovernanceRuntime, event: unknown, context: Context | undefined, options: ResolvedOptions): Invocation | undefined {
  try {
    return runtime.start(event, context, options);
  } catch (error) {
    warnOnce('start-invocation', `could not start the invocation span, running the handler untraced: ${(error as Error).message}`);
    return undefined;
  }
}

/** Runs a handler call inside an invocation and finishes it; the outcome is the handler's, unchanged. */
export async function governInvocation(
  runtime: GovernanceRuntime, options: ResolvedOptions, event: unknown, context: Context | undefined, call: () => Promise<unknown>,
): Promise<unknown> {
  const invocation = safeStart(runtime, event, context, options);
  if (!invocation) return call();
  let result: unknown;
  let error: unknown;
  let failed = false;
  try {
    result = await runtime.run(invocation, call);
  } catch (e) {
    error = e;
    failed = true;
  }
  await runtime.finish(invocation, { failed, error, result });
  if (failed) throw error;
  return result;
}

function copyOwnSymbols(from: AnyFunction, to: AnyFunction): void {
  for (const symbol of Object.getOwnPropertySymbols(from)) {
    Object.defineProperty(to, symbol, { value: (from as unknown as Record<symbol, unknown>)[symbol], configurable: true, writable: true });
  }
}

export function wrapHandler(runtime: GovernanceRuntime | null, handler: AnyFunction, options: GovernanceOptions | undefined): AnyFunction {
  if ((handler as unknown as Record<symbol, unknown>)[WRAPPED]) return handler;
  if (runtime === null) return handler;
  const resolved = resolveOptions(runtime, options, 'withGovernance()');
  let wrapped: AnyFunction;
  if (isStreaming(handler)) {
    wrapped = function governedStreamingHandler(event: unknown, responseStream: unknown, context: Context) {
      return governInvocation(runtime, resolved, event, context, () => Promise.resolve().then(() => handler(event, responseStream, context)));
    };
  } else {
    wrapped = function governedHandler(event: unknown, context: Context) {
      return governInvocation(runtime, resolved, event, context, () => callHandler(handler, [event, context]));
    };
  }
  copyOwnSymbols(handler, wrapped);
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  return wrapped;
}

/**
 * Wraps a Lambda handler: one trace per invocation with the governance context, every span exported
 * before the promise settles back to the runtime.
 *
 * @example
 * export const handler = withGovernance(async (event: APIGatewayProxyEventV2) => {
 *   governance.recordCost({ provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 812, outputTokens: 96 });
 *   return { statusCode: 200, body: 'ok' };
 * }, { team: 'ai-eng', project: 'support-bot' });
 */
export function withGovernance<TEvent = any, TResult = any>(
  handler: (event: TEvent, context: Context) => Promise<TResult> | TResult,
  options?: GovernanceOptions,
): (event: TEvent, context: Context) => Promise<TResult>;
export function withGovernance<TEvent = any, TResult = any>(
  handler: (event: TEvent, context: Context, callback: (error?: unknown, result?: TResult) => void) => void | Promise<TResult>,
  options?: GovernanceOptions,
): (event: TEvent, context: Context) => Promise<TResult>;
export function withGovernance(handler: AnyFunction, options?: GovernanceOptions): AnyFunction {
  return wrapHandler(getDefaultRuntime(), handler, options);
}
