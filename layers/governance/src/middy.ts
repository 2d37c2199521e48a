/**
 * A Middy middleware over the same core as withGovernance(). `before` is synchronous on purpose: it enters
 * the invocation's context with enterWith(), which only reaches the handler when no await separates them.
 * `after` and `onError` finish and flush; they never throw, so they cannot mask the handler's error.
 */
import type { Context } from 'aws-lambda';
import { resolveOptions } from './options.js';
import { getDefaultRuntime, type GovernanceRuntime, type Invocation } from './runtime.js';
import { warnOnce } from './logger.js';
import type { GovernanceOptions } from './types.js';

interface MiddyRequest {
  event: unknown;
  context: Context;
  response: unknown;
  error: unknown;
  internal: Record<string | symbol, unknown>;
}

export interface GovernanceMiddleware {
  before: (request: MiddyRequest) => void;
  after: (request: MiddyRequest) => Promise<void>;
  onError: (request: MiddyRequest) => Promise<void>;
}

const INVOCATION = Symbol('lambda-governance.invocation');

export function createMiddleware(runtime: GovernanceRuntime | null, options?: GovernanceOptions): GovernanceMiddleware {
  const resolved = runtime ? resolveOptions(runtime, options, 'governanceMiddleware()') : undefined;
  const take = (request: MiddyRequest): Invocation | undefined => {
    const invocation = request.internal?.[INVOCATION] as Invocation | undefined;
    if (invocation) delete request.internal[INVOCATION];
    return invocation;
  };
  return {
    before(request) {
      if (!runtime || !resolved) return;
      try {
        const invocation = runtime.start(request.event, request.context, resolved);
        request.internal[INVOCATION] = invocation;
        runtime.enter(invocation);
      } catch (error) {
        warnOnce('middy-before', `could not start the invocation span: ${(error as Error).message}`);
      }
    },
    async after(request) {
      const invocation = take(request);
      if (invocation) await invocation.runtime.finish(invocation, { failed: false, result: request.response });
    },
    async onError(request) {
      const invocation = take(request);
      if (invocation) await invocation.runtime.finish(invocation, { failed: true, error: request.error });
    },
  };
}

/**
 * @example
 * export const handler = middy(async (event) => …).use(governanceMiddleware({ team: 'ai-eng', project: 'bot' }));
 */
export function governanceMiddleware(options?: GovernanceOptions): GovernanceMiddleware {
  return createMiddleware(getDefaultRuntime(), options);
}
