/**
 * Validation of budget definitions. Strict like Middy's option checks: an unknown key is an error (with the
 * closest known key suggested), so a typo such as "threshold" never silently means "use the defaults".
 */
import { unknownKeyMessage } from '../suggest.js';
import { BudgetDefinitionError } from './errors.js';
import { BUDGET_PERIODS, DEFAULT_THRESHOLDS, MATCH_FIELDS, type BudgetDefinition, type BudgetPeriod, type MatchField } from './types.js';

const KEYS = ['id', 'limitUsd', 'period', 'timeZone', 'match', 'thresholds', 'url', 'description'];
/** Ids become part of ledger keys and marker messages: no separators, no spaces. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Limits are counted in nano-USD; past this a counter would leave exact integer range. */
const MAX_LIMIT_USD = 1_000_000_000;
const MAX_MATCH_VALUE_LENGTH = 256;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Whether the runtime knows the IANA zone (Intl throws a RangeError for unknown ones). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parseOne(raw: unknown, index: number, source: string): BudgetDefinition {
  if (!isPlainObject(raw)) throw new BudgetDefinitionError(source, `#${index}`, 'definition', `must be an object, got ${shown(raw)}`);
  const name = typeof raw.id === 'string' && raw.id !== '' ? `"${raw.id}"` : `#${index}`;
  const fail = (field: string, message: string): never => {
    throw new BudgetDefinitionError(source, name, field, message);
  };
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) fail(key, unknownKeyMessage(key, KEYS));

  const { id, limitUsd, period } = raw;
  if (typeof id !== 'string' || !ID.test(id)) fail('id', `must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit, got ${shown(id)}`);
  if (typeof limitUsd !== 'number' || !Number.isFinite(limitUsd) || limitUsd <= 0 || limitUsd > MAX_LIMIT_USD) {
    fail('limitUsd', `must be a number of USD above 0 and at most ${MAX_LIMIT_USD}, got ${shown(limitUsd)}`);
  }
  if (typeof period !== 'string' || !(BUDGET_PERIODS as readonly string[]).includes(period)) {
    fail('period', `must be one of ${BUDGET_PERIODS.join(', ')}, got ${shown(period)}`);
  }

  let timeZone = 'UTC';
  if (raw.timeZone !== undefined) {
    if (typeof raw.timeZone !== 'string' || !isTimeZone(raw.timeZone)) fail('timeZone', `must be an IANA time zone such as "Europe/Berlin", got ${shown(raw.timeZone)}`);
    timeZone = raw.timeZone as string;
  }

  const match: Partial<Record<MatchField, string[]>> = {};
  if (raw.match !== undefined) {
    if (!isPlainObject(raw.match)) fail('match', `must be an object of field: value or [values], got ${shown(raw.match)}`);
    const fields = Object.keys(MATCH_FIELDS);
    for (const [field, value] of Object.entries(raw.match as Record<string, unknown>)) {
      if (!fields.includes(field)) fail(`match.${field}`, unknownKeyMessage(field, fields));
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0) fail(`match.${field}`, 'must list at least one value');
      for (const v of values) {
        if (typeof v !== 'string' || v === '' || v.length > MAX_MATCH_VALUE_LENGTH) {
          fail(`match.${field}`, `values must be non-empty strings of up to ${MAX_MATCH_VALUE_LENGTH} characters, got ${shown(v)}`);
        }
      }
      match[field as MatchField] = [...new Set(values as string[])];
    }
  }

  let thresholds = [...DEFAULT_THRESHOLDS];
  if (raw.thresholds !== undefined) {
    const list = raw.thresholds;
    if (!Array.isArray(list) || list.length === 0) fail('thresholds', `must be a non-empty list of percentages, got ${shown(list)}`);
    for (const t of list as unknown[]) {
      if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1000) fail('thresholds', `must hold percentages above 0 and at most 1000, got ${shown(t)}`);
    }
    if (new Set(list as number[]).size !== (list as number[]).length) fail('thresholds', `must not repeat a percentage, got ${shown(list)}`);
    thresholds = [...(list as number[])].sort((a, b) => a - b);
  }

  const definition: BudgetDefinition = { id: id as string, limitUsd: limitUsd as number, period: period as BudgetPeriod, timeZone, match, thresholds };
  if (raw.url !== undefined) {
    let ok = false;
    try {
      ok = typeof raw.url === 'string' && ['http:', 'https:'].includes(new URL(raw.url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) fail('url', `must be an http(s) URL, got ${shown(raw.url)}`);
    definition.url = raw.url as string;
  }
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string' || raw.description.length > 500) fail('description', 'must be a string of up to 500 characters');
    definition.description = raw.description as string;
  }
  return definition;
}

/**
 * Validates a list of budget definitions (or `{ "budgets": [...] }`) and returns them normalized. `source`
 * names where they came from (an environment variable, a file, a CDK prop) and starts every error message.
 */
export function parseBudgets(raw: unknown, source: string): BudgetDefinition[] {
  const list = isPlainObject(raw) && Object.keys(raw).length === 1 && 'budgets' in raw ? raw.budgets : raw;
  if (!Array.isArray(list)) {
    throw new BudgetDefinitionError(source, 'list', 'definitions', `must be a list of budgets or { "budgets": [...] }, got ${shown(list)}`);
  }
  const budgets = list.map((item, index) => parseOne(item, index, source));
  const seen = new Set<string>();
  for (const b of budgets) {
    if (seen.has(b.id)) throw new BudgetDefinitionError(source, `"${b.id}"`, 'id', 'is used by more than one budget');
    seen.add(b.id);
  }
  return budgets;
}
