/**
 * An isolated governance runtime per test, configured from an explicit environment and exporting to real
 * local sinks. The handler wrapper and governance API are the production ones.
 */
import type { Context } from 'aws-lambda';
import { readConfig } from '../../layers/governance/src/config.js';
import { GovernanceRuntime } from '../../layers/governance/src/runtime.js';
import { wrapHandler } from '../../layers/governance/src/wrapper.js';
import type { GovernanceOptions } from '../../layers/governance/src/types.js';

export function createRuntime(env: Record<string, string>): GovernanceRuntime {
  const full = { AWS_LAMBDA_FUNCTION_NAME: 'test-fn', AWS_REGION: 'us-east-1', ...env };
  return new GovernanceRuntime(readConfig(full), full);
}

export function wrap<E, R>(runtime: GovernanceRuntime, handler: (event: E, context: Context) => Promise<R> | R, options?: GovernanceOptions): (event: E, context: Context) => Promise<R> {
  return wrapHandler(runtime, handler, options) as (event: E, context: Context) => Promise<R>;
}

let counter = 0;
export function lambdaContext(overrides: Partial<Context> & { remainingMs?: number } = {}): Context {
  const deadline = Date.now() + (overrides.remainingMs ?? 30_000);
  counter++;
  return {
    awsRequestId: `req-${counter}`,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test-fn:live',
    functionName: 'test-fn',
    functionVersion: '7',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/test-fn',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  } as Context;
}
