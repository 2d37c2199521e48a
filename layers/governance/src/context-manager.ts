/**
 * An AsyncLocalStorage context manager for the OTel API. sdk-trace-base registers none, and without one a
 * child span started in an awaited function loses its parent. Our own (rather than context-async-hooks) so
 * the Middy adapter can enter a context for the rest of the request with enterWith().
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export class GovernanceContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  public active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  public with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }

  public bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => fn.apply(this, args));
    } as unknown as T;
  }

  /** Makes `context` active for the rest of the current synchronous execution and what it schedules. */
  public enter(context: Context): void {
    this.storage.enterWith(context);
  }

  public enable(): this {
    return this;
  }

  public disable(): this {
    this.storage.disable();
    return this;
  }
}
