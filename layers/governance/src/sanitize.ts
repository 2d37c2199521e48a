/**
 * Run-time input checks. A bad value (a negative token count, a numeric customer id, a 10 KB string) drops
 * that one field with one warning; it never throws into user code and never prints the value itself.
 */
import { isValidFieldName, type AttributeLimits } from './config.js';
import { warnOnce } from './logger.js';
import { GOVERNANCE_PREFIX } from './semconv.js';
import type { GovernanceContext } from './types.js';

export class Sanitizer {
  public constructor(private readonly limits: AttributeLimits) {}

  /** A governance context value: a non-empty string within the value limit. */
  public contextValue(field: string, value: unknown): string | undefined {
    if (!isValidFieldName(field)) {
      warnOnce(`field-name:${field.slice(0, 64)}`, `context field "${field.slice(0, 64)}" is not lower_snake_case or uses a reserved name; dropped`);
      return undefined;
    }
    if (typeof value !== 'string') {
      warnOnce(`field-type:${field}`, `context field "${field}" must be a string, got ${value === null ? 'null' : typeof value}; dropped`);
      return undefined;
    }
    if (value.length === 0) return undefined;
    if (value.length > this.limits.maxValueLength) {
      warnOnce(`field-length:${field}`, `context field "${field}" is ${value.length} characters, over the limit of ${this.limits.maxValueLength}; dropped`);
      return undefined;
    }
    return value;
  }

  /** Merges `fields` over `into`, keeping only valid values. */
  public mergeContext(into: GovernanceContext, fields: unknown): void {
    if (fields === null || typeof fields !== 'object') {
      warnOnce('context-shape', 'governance context must be an object of string fields; ignored');
      return;
    }
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const clean = this.contextValue(field, value);
      if (clean !== undefined) into[field] = clean;
    }
  }

  /** A count or amount: a finite number ≥ 0. */
  public nonNegative(name: string, value: unknown): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      warnOnce(`number:${name}`, `${name} must be a finite number ≥ 0; dropped`);
      return undefined;
    }
    return value;
  }

  /** A score in [0, 1]. */
  public unitScore(name: string, value: unknown): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      warnOnce(`score:${name}`, `${name} must be a number between 0 and 1; dropped`);
      return undefined;
    }
    return value;
  }

  /** A short identifier-like string (provider, model, policy name). */
  public text(name: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > this.limits.maxValueLength) {
      warnOnce(`text:${name}`, `${name} must be a non-empty string of at most ${this.limits.maxValueLength} characters; dropped`);
      return undefined;
    }
    return value;
  }
}

/** `{ team: 'x' }` → `{ 'genops.team': 'x' }` */
export function contextAttributes(fields: GovernanceContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) out[GOVERNANCE_PREFIX + key] = value;
  }
  return out;
}
