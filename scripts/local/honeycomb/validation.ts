/**
 * Field checks for configuration request bodies. Every failure is collected (not just the first), so one 422
 * lists them all in `type_detail` with the spec's codes (missing, invalid, incorrect_type, already_exists) and
 * descriptions in the spec example's "field: reason" form. null counts as absent, as JSON clients send it.
 */
import type { Reply } from './http.js';
import { isPlainObject } from './http.js';
import { validationFailed, type TypeDetail } from './problems.js';

export interface Tag { key: string; value: string }

interface StringRule { required?: boolean; min?: number; max?: number; oneOf?: readonly string[]; pattern?: RegExp }
interface IntegerRule { required?: boolean; min?: number; max?: number; multipleOf?: number }

export class Checks {
  public readonly details: TypeDetail[] = [];

  public get ok(): boolean {
    return this.details.length === 0;
  }

  /** The 422 for everything found, or undefined when nothing was. */
  public reply(): Reply | undefined {
    return this.ok ? undefined : validationFailed(this.details);
  }

  public missing(field: string): void {
    this.details.push({ field, code: 'missing', description: `${field}: is required` });
  }

  public invalid(field: string, reason: string): void {
    this.details.push({ field, code: 'invalid', description: `${field}: ${reason}` });
  }

  public wrongType(field: string, expected: string): void {
    this.details.push({ field, code: 'incorrect_type', description: `${field}: must be ${expected}` });
  }

  public alreadyExists(field: string, reason: string): void {
    this.details.push({ field, code: 'already_exists', description: `${field}: ${reason}` });
  }

  /** Reports a missing value when required; true when there is a value to look at. */
  private present(value: unknown, field: string, required: boolean | undefined): boolean {
    if (value !== undefined && value !== null) return true;
    if (required) this.missing(field);
    return false;
  }

  public string(value: unknown, field: string, rule: StringRule = {}): string | undefined {
    if (!this.present(value, field, rule.required)) return undefined;
    if (typeof value !== 'string') return void this.wrongType(field, 'a string');
    if (rule.min !== undefined && value.length < rule.min) return void this.invalid(field, `must be at least ${rule.min} characters long`);
    if (rule.max !== undefined && value.length > rule.max) return void this.invalid(field, `must be at most ${rule.max} characters long`);
    if (rule.oneOf && !rule.oneOf.includes(value)) return void this.invalid(field, `must be one of ${rule.oneOf.join(', ')}`);
    if (rule.pattern && !rule.pattern.test(value)) return void this.invalid(field, `must match ${rule.pattern.source}`);
    return value;
  }

  public integer(value: unknown, field: string, rule: IntegerRule = {}): number | undefined {
    if (!this.present(value, field, rule.required)) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return void this.wrongType(field, 'an integer');
    if (rule.min !== undefined && value < rule.min) return void this.invalid(field, `must be at least ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) return void this.invalid(field, `must be at most ${rule.max}`);
    if (rule.multipleOf !== undefined && value % rule.multipleOf !== 0) return void this.invalid(field, `must be a multiple of ${rule.multipleOf}`);
    return value;
  }

  public number(value: unknown, field: string, required = false): number | undefined {
    if (!this.present(value, field, required)) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return void this.wrongType(field, 'a number');
    return value;
  }

  public boolean(value: unknown, field: string): boolean | undefined {
    if (!this.present(value, field, false)) return undefined;
    if (typeof value !== 'boolean') return void this.wrongType(field, 'a boolean');
    return value;
  }

  public object(value: unknown, field: string, required = false): Record<string, unknown> | undefined {
    if (!this.present(value, field, required)) return undefined;
    if (!isPlainObject(value)) return void this.wrongType(field, 'an object');
    return value;
  }

  public array(value: unknown, field: string, rule: { required?: boolean; min?: number; max?: number } = {}): unknown[] | undefined {
    if (!this.present(value, field, rule.required)) return undefined;
    if (!Array.isArray(value)) return void this.wrongType(field, 'an array');
    if (rule.min !== undefined && value.length < rule.min) return void this.invalid(field, `must have at least ${rule.min} items`);
    if (rule.max !== undefined && value.length > rule.max) return void this.invalid(field, `must have at most ${rule.max} items`);
    return value;
  }

  /** Tags as triggers, SLOs and boards take them: at most 10; key lower-case letters (≤32); value ≤128, see pattern. */
  public tags(value: unknown, field = 'tags'): Tag[] | undefined {
    const items = this.array(value, field, { max: 10 });
    if (!items) return undefined;
    const tags: Tag[] = [];
    items.forEach((item, i) => {
      const tag = this.object(item, `${field}[${i}]`, true);
      if (!tag) return;
      const key = this.string(tag['key'], `${field}[${i}].key`, { required: true, min: 1, max: 32, pattern: /^[a-z]+$/ });
      const tagValue = this.string(tag['value'], `${field}[${i}].value`, { required: true, min: 1, max: 128, pattern: /^[a-z][a-z0-9/-]*$/ });
      if (key !== undefined && tagValue !== undefined) tags.push({ key, value: tagValue });
    });
    return tags;
  }
}
