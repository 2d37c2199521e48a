/**
 * The configuration APIs' rate limit (§7, §10, §11.25): fixed windows counted per key, every answer carrying
 * `RateLimit: limit=X, remaining=Y, reset=Z` and `RateLimit-Policy: X;w=Y`, and a request over the limit getting
 * the 429 problem with Retry-After as an HTTP date. The default 100 per 60 s is the docs' example policy; the
 * real limits, and whether they count per key or per team, are not published (per key here).
 */
import { header, type Reply, type Route } from './http.js';
import { rateLimited } from './problems.js';

export interface RateLimitPolicy { limit: number; windowSeconds: number }

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { limit: 100, windowSeconds: 60 };

export class RateLimiter {
  private readonly used = new Map<string, { window: number; count: number }>();

  public constructor(private readonly policy: RateLimitPolicy) {}

  /** Counts a request by `key` at `now`; the headers for its answer, and the 429 when it is over the limit. */
  public take(key: string, now: number): { headers: Record<string, string>; refusal?: Reply } {
    const windowMs = this.policy.windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    const entry = this.used.get(key);
    const count = entry?.window === window ? entry.count + 1 : 1;
    this.used.set(key, { window, count });
    const resetAt = (window + 1) * windowMs;
    const headers = {
      RateLimit: `limit=${this.policy.limit}, remaining=${Math.max(0, this.policy.limit - count)}, reset=${Math.ceil((resetAt - now) / 1000)}`,
      'RateLimit-Policy': `${this.policy.limit};w=${this.policy.windowSeconds}`,
    };
    if (count <= this.policy.limit) return { headers };
    return { headers, refusal: rateLimited(resetAt, { ...headers, 'Retry-After': new Date(resetAt).toUTCString() }) };
  }

  public clear(): void {
    this.used.clear();
  }
}

/** The same routes, counted by `limiter` and answering with its headers. */
export function limitedRoutes(routes: Route[], limiter: RateLimiter): Route[] {
  return routes.map((route) => ({
    ...route,
    handle(exchange, params, context) {
      const { headers, refusal } = limiter.take(header(exchange.headers, 'x-honeycomb-team'), context.clock());
      if (refusal) return refusal;
      const reply = route.handle(exchange, params, context);
      return { ...reply, headers: { ...reply.headers, ...headers } };
    },
  }));
}
