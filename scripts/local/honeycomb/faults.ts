/**
 * Faults a test switches on to see how a client copes with Honeycomb misbehaving (§11.14): a whole-request
 * status (429 rate limit or denylist, 403 throttling, 5xx, …) with an optional Retry-After, per-event failures
 * inside a 200 batch answer, a slow answer, a connection that never answers, a connection reset. Faults are
 * tried in the order given; each counts the requests it took, and one with `times` stops after that many.
 * A 429 on a configuration API path answers in that API's problem format.
 */
import { STATUS_CODES } from 'node:http';
import { error, HONEYCOMB_ERRORS, type Reply } from './http.js';
import { isConfigApiPath, rateLimited } from './problems.js';

/** 429 (rate limit by default; pass HONEYCOMB_ERRORS.denylisted for the denylist), 403, 401, 413, 5xx… */
export interface StatusFault {
  kind: 'status';
  status: number;
  /** The `{"error": …}` text; defaults to Honeycomb's for the status. */
  error?: string;
  /** A raw text/plain body instead (e.g. what a load balancer sends with a 502). */
  body?: string;
  /** Seconds or an HTTP date. */
  retryAfter?: string | number;
}

/** Inside a 200 /1/batch answer, events `select` picks (default: all) get this status and are not stored. */
export interface PerEventFault {
  kind: 'perEvent';
  status: number;
  error?: string;
  select?: (index: number) => boolean;
}

export type Fault =
  | StatusFault
  | PerEventFault
  /** Waits, then answers normally. */
  | { kind: 'slow'; delayMs: number }
  /** Reads the request and never answers; released by reset() or stop(). */
  | { kind: 'hang' }
  /** Reads the request and resets the connection (TCP RST). */
  | { kind: 'reset' };

export type FaultKind = Fault['kind'];

/** A fault plus when it applies: `times` requests (default: every one until cleared) whose path starts with `path`. */
export type FaultRule = Fault & { times?: number; path?: string };

export interface InjectedFault {
  readonly rule: FaultRule;
  /** Requests this fault has taken. */
  used: number;
}

const DEFAULT_ERRORS: Record<number, string> = {
  401: HONEYCOMB_ERRORS.unknownKey,
  403: HONEYCOMB_ERRORS.throttled,
  404: HONEYCOMB_ERRORS.datasetNotFound,
  413: HONEYCOMB_ERRORS.tooLarge,
  429: HONEYCOMB_ERRORS.rateLimited,
};

export function faultErrorText(status: number, text?: string): string {
  return text ?? DEFAULT_ERRORS[status] ?? STATUS_CODES[status] ?? `status ${status}`;
}

/** `path` and `now` pick the format: a 429 on a configuration API is its RFC7807 problem (§7.1), not legacy. */
export function statusFaultReply(fault: StatusFault, path = '', now = Date.now()): Reply {
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  if (fault.body !== undefined) return { status: fault.status, headers: { 'content-type': 'text/plain', ...headers }, body: fault.body };
  if (fault.status === 429 && fault.error === undefined && isConfigApiPath(path)) {
    // Retry-After only when the fault sets one, as on other paths: a default date would make clients wait.
    return rateLimited(now, headers);
  }
  return error(fault.status, faultErrorText(fault.status, fault.error), headers);
}

export class FaultList {
  private readonly entries: InjectedFault[] = [];

  public get all(): readonly InjectedFault[] {
    return this.entries;
  }

  public add(rules: FaultRule[]): InjectedFault[] {
    const added = rules.map((rule) => ({ rule, used: 0 }));
    this.entries.push(...added);
    return added;
  }

  public clear(): void {
    this.entries.length = 0;
  }

  /** The first fault that applies to this path and has uses left, counted as used. */
  public take(path: string): Fault | undefined {
    const entry = this.entries.find(({ rule, used }) =>
      (rule.times === undefined || used < rule.times)
      // Only /1/batch answers per event, so that is where a perEvent fault waits unless told otherwise.
      && path.startsWith(rule.path ?? (rule.kind === 'perEvent' ? '/1/batch/' : '/')));
    if (!entry) return undefined;
    entry.used++;
    return entry.rule;
  }
}
