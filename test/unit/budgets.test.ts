import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../common/env.js';
import {
  BudgetDefinitionError, BudgetMatcher, DEFAULT_THRESHOLDS, PeriodCache, alertKey, budgetPeriod, counterPk, nanosToUsd, parseBudgets,
  periodWindow, readBudgets, statusKey, usdToNanos, type BudgetDefinition, type BudgetPeriod,
} from '../../common/budgets/index.js';
import { seededRandom } from '../../scripts/local-run/workload.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SOURCE = 'budgets.json';
const base = { id: 'team-a', limitUsd: 100, period: 'daily' };
/** A valid budget placed before the one under test, so errors must name the right index. */
const other = { id: 'other', limitUsd: 1, period: 'monthly' };

function parseError(raw: unknown, source = SOURCE): BudgetDefinitionError {
  try {
    parseBudgets(raw, source);
  } catch (error) {
    expect(error).toBeInstanceOf(BudgetDefinitionError);
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as BudgetDefinitionError;
  }
  throw new Error(`parseBudgets accepted ${JSON.stringify(raw)}`);
}

function readError(env: Record<string, string>): ConfigurationError {
  try {
    readBudgets(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`readBudgets accepted ${JSON.stringify(env)}`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('parseBudgets', () => {
  it('normalizes a full definition', () => {
    const thresholds = [100, 25, 75];
    const [budget] = parseBudgets([{
      id: 'ml.prod_2026', limitUsd: 250.5, period: 'monthly', timeZone: 'Europe/Berlin',
      match: { team: 'ml', model: ['gpt-4o', 'gpt-4o-mini', 'gpt-4o'] }, thresholds,
      url: 'https://runbooks.example.com/budgets/ml', description: 'The ML team in production',
    }], SOURCE);
    expect(budget).toStrictEqual({
      id: 'ml.prod_2026', limitUsd: 250.5, period: 'monthly', timeZone: 'Europe/Berlin',
      match: { team: ['ml'], model: ['gpt-4o', 'gpt-4o-mini'] }, thresholds: [25, 75, 100],
      url: 'https://runbooks.example.com/budgets/ml', description: 'The ML team in production',
    });
    // The caller's list is sorted in a copy, not in place.
    expect(thresholds).toEqual([100, 25, 75]);
  });

  it('fills in the defaults: UTC, every span, thresholds 50/80/90/100', () => {
    expect(parseBudgets([base], SOURCE)).toStrictEqual([
      { id: 'team-a', limitUsd: 100, period: 'daily', timeZone: 'UTC', match: {}, thresholds: [50, 80, 90, 100] },
    ]);
    expect(parseBudgets([{ ...base, match: {} }], SOURCE)[0]!.match).toEqual({});
  });

  it('gives every budget its own default thresholds', () => {
    const first = parseBudgets([base], SOURCE)[0]!;
    first.thresholds.push(200);
    expect(parseBudgets([base], SOURCE)[0]!.thresholds).toEqual([50, 80, 90, 100]);
    expect(DEFAULT_THRESHOLDS).toEqual([50, 80, 90, 100]);
  });

  it('accepts { budgets: [...] } as well as a list, keeping the order', () => {
    const list = [base, other, { id: 'c', limitUsd: 3, period: 'weekly' }];
    const wrapped = parseBudgets({ budgets: list }, SOURCE);
    expect(wrapped).toEqual(parseBudgets(list, SOURCE));
    expect(wrapped.map((b) => b.id)).toEqual(['team-a', 'other', 'c']);
    expect(parseBudgets({ budgets: [] }, SOURCE)).toEqual([]);
    expect(parseBudgets([], SOURCE)).toEqual([]);
  });

  it.each([
    ['Europe/Berlin'], ['America/New_York'], ['Asia/Kolkata'], ['UTC'],
  ])('accepts the time zone %s', (timeZone) => {
    expect(parseBudgets([{ ...base, timeZone }], SOURCE)[0]!.timeZone).toBe(timeZone);
  });

  it.each([
    ['the largest limit', { limitUsd: 1_000_000_000 }],
    ['a fractional limit', { limitUsd: 0.01 }],
    ['a threshold of 1000%', { thresholds: [1000] }],
    ['a fractional threshold', { thresholds: [12.5] }],
    ['a 100-character id', { id: `a${'b'.repeat(99)}` }],
    ['an http URL', { url: 'http://grafana.internal/d/budgets' }],
  ])('accepts %s', (_what, override: Record<string, unknown>) => {
    expect(() => parseBudgets([{ ...base, ...override }], SOURCE)).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string, string, RegExp]>([
    ['an id with "#"', { ...base, id: 'team#a' }, '"team#a"', 'id', /must be 1-100 letters.*got "team#a"/],
    ['an id with a space', { ...base, id: 'team a' }, '"team a"', 'id', /must be 1-100 letters.*got "team a"/],
    ['an id starting with "-"', { ...base, id: '-a' }, '"-a"', 'id', /starting with a letter or digit/],
    ['an id of 101 characters', { ...base, id: 'a'.repeat(101) }, `"${'a'.repeat(101)}"`, 'id', /must be 1-100/],
    ['an empty id', { ...base, id: '' }, '#1', 'id', /got ""/],
    ['a missing id', { limitUsd: 100, period: 'daily' }, '#1', 'id', /got undefined/],
    ['a numeric id', { ...base, id: 42 }, '#1', 'id', /got 42/],
    ['a limit of 0', { ...base, limitUsd: 0 }, '"team-a"', 'limitUsd', /above 0 and at most 1000000000, got 0/],
    ['a negative limit', { ...base, limitUsd: -5 }, '"team-a"', 'limitUsd', /got -5/],
    ['a limit given as a string', { ...base, limitUsd: '100' }, '"team-a"', 'limitUsd', /got "100"/],
    ['a NaN limit', { ...base, limitUsd: Number.NaN }, '"team-a"', 'limitUsd', /must be a number of USD/],
    ['an infinite limit', { ...base, limitUsd: Number.POSITIVE_INFINITY }, '"team-a"', 'limitUsd', /must be a number of USD/],
    ['a limit above 1e9', { ...base, limitUsd: 1_000_000_001 }, '"team-a"', 'limitUsd', /got 1000000001/],
    ['an unknown period', { ...base, period: 'yearly' }, '"team-a"', 'period', /must be one of daily, weekly, monthly, got "yearly"/],
    ['a missing period', { id: 'team-a', limitUsd: 100 }, '"team-a"', 'period', /must be one of/],
    ['an unknown time zone', { ...base, timeZone: 'Mars/Olympus' }, '"team-a"', 'timeZone', /IANA time zone.*got "Mars\/Olympus"/],
    ['an empty time zone', { ...base, timeZone: '' }, '"team-a"', 'timeZone', /IANA time zone/],
    ['a numeric time zone', { ...base, timeZone: 1 }, '"team-a"', 'timeZone', /IANA time zone/],
    ['the key "threshold"', { ...base, threshold: [50] }, '"team-a"', 'threshold', /is not a known field \(did you mean "thresholds"\?\)/],
    ['the key "limit"', { ...base, limit: 5 }, '"team-a"', 'limit', /did you mean "limitUsd"\?/],
    ['a match that is no object', { ...base, match: 'ml' }, '"team-a"', 'match', /must be an object/],
    ['a match listing no value', { ...base, match: { team: [] } }, '"team-a"', 'match.team', /must list at least one value/],
    ['a numeric match value', { ...base, match: { team: 42 } }, '"team-a"', 'match.team', /non-empty strings.*got 42/],
    ['a numeric match value in a list', { ...base, match: { team: ['ml', 7] } }, '"team-a"', 'match.team', /non-empty strings.*got 7/],
    ['an empty match value', { ...base, match: { project: '' } }, '"team-a"', 'match.project', /non-empty strings/],
    ['a match value of 257 characters', { ...base, match: { project: 'p'.repeat(257) } }, '"team-a"', 'match.project', /up to 256 characters/],
    ['no thresholds', { ...base, thresholds: [] }, '"team-a"', 'thresholds', /non-empty list/],
    ['thresholds that are no list', { ...base, thresholds: 80 }, '"team-a"', 'thresholds', /non-empty list.*got 80/],
    ['a threshold of 0', { ...base, thresholds: [0, 50] }, '"team-a"', 'thresholds', /above 0 and at most 1000, got 0/],
    ['a threshold of 1001', { ...base, thresholds: [50, 1001] }, '"team-a"', 'thresholds', /got 1001/],
    ['a threshold given as a string', { ...base, thresholds: ['50'] }, '"team-a"', 'thresholds', /got "50"/],
    ['a repeated threshold', { ...base, thresholds: [50, 80, 50] }, '"team-a"', 'thresholds', /must not repeat a percentage/],
    ['an ftp URL', { ...base, url: 'ftp://x' }, '"team-a"', 'url', /http\(s\) URL, got "ftp:\/\/x"/],
    ['a URL that is no URL', { ...base, url: 'not a url' }, '"team-a"', 'url', /http\(s\) URL, got "not a url"/],
    ['a description of 501 characters', { ...base, description: 'd'.repeat(501) }, '"team-a"', 'description', /up to 500 characters/],
    ['a budget that is no object', 'team-a' as unknown as Record<string, unknown>, '#1', 'definition', /must be an object, got "team-a"/],
  ])('rejects %s, naming budget %s and field %s', (_what, budget, name, field, message) => {
    const error = parseError([other, budget]);
    expect(error.setting).toBe(SOURCE);
    expect(error.budget).toBe(name);
    expect(error.field).toBe(field);
    expect(error.name).toBe('BudgetDefinitionError');
    expect(error.message.startsWith(`${SOURCE}: budget ${name}: ${field} `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('suggests "team" for the match field "team_name"', () => {
    const error = parseError([{ ...base, match: { team_name: 'ml' } }]);
    expect(error.budget).toBe('"team-a"');
    expect(error.field).toBe('match.team_name');
    expect(error.message).toMatch(/^budgets\.json: budget "team-a": match\.team_name is not a known field/);
    expect(error.message).toMatch(/did you mean "team"\?/);
  });

  it('suggests the closest match field for a small typo and lists the known ones', () => {
    const error = parseError([{ ...base, match: { costcenter: 'cc-1' } }]);
    expect(error.field).toBe('match.costcenter');
    expect(error.message).toMatch(/did you mean "cost_center"\?/);
    expect(error.message).toMatch(/known: team, project, environment, customer_id, user_id, feature, cost_center, model, provider, service$/);
  });

  it('makes no suggestion for a key unlike any known one', () => {
    const error = parseError([{ ...base, somethingElse: 1 }]);
    expect(error.field).toBe('somethingElse');
    expect(error.message).not.toMatch(/did you mean/);
    expect(error.message).toMatch(/known: id, limitUsd, period, timeZone, match, thresholds, url, description$/);
  });

  it('rejects an id used by two budgets, naming it', () => {
    const error = parseError([base, other, { ...base, limitUsd: 5, period: 'weekly' }], 'GOVERNANCE_BUDGETS');
    expect(error.setting).toBe('GOVERNANCE_BUDGETS');
    expect(error.budget).toBe('"team-a"');
    expect(error.field).toBe('id');
    expect(error.message).toBe('GOVERNANCE_BUDGETS: budget "team-a": id is used by more than one budget');
  });

  it.each([
    ['a string', 'team-a'],
    ['a number', 42],
    ['null', null],
    ['a single budget', base],
    ['a wrapper with another key', { budgets: [base], version: 1 }],
    ['a wrapper whose budgets are no list', { budgets: base }],
  ])('rejects %s where a list is expected', (_what, raw) => {
    const error = parseError(raw, 'props.budgets');
    expect(error.setting).toBe('props.budgets');
    expect(error.budget).toBe('list');
    expect(error.field).toBe('definitions');
    expect(error.message).toMatch(/^props\.budgets: budget list: definitions must be a list of budgets or \{ "budgets": \[\.\.\.\] \}, got /);
  });

  it('shortens a long value in the message', () => {
    const error = parseError([{ ...base, period: 'x'.repeat(500) }]);
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toMatch(/\.\.\.$/);
  });
});

describe('periodWindow', () => {
  it.each<[BudgetPeriod, number, string, number, number]>([
    ['daily', Date.UTC(2026, 10, 21, 13, 45), '2026-11-21', Date.UTC(2026, 10, 21), Date.UTC(2026, 10, 22)],
    ['daily', Date.UTC(2026, 10, 21), '2026-11-21', Date.UTC(2026, 10, 21), Date.UTC(2026, 10, 22)],
    ['daily', Date.UTC(2026, 10, 21) - 1, '2026-11-20', Date.UTC(2026, 10, 20), Date.UTC(2026, 10, 21)],
    ['daily', Date.UTC(2026, 11, 31, 23, 59, 59, 999), '2026-12-31', Date.UTC(2026, 11, 31), Date.UTC(2027, 0, 1)],
    ['daily', Date.UTC(2028, 1, 29, 12), '2028-02-29', Date.UTC(2028, 1, 29), Date.UTC(2028, 2, 1)],
    ['weekly', Date.UTC(2026, 10, 21, 13, 45), '2026-W47', Date.UTC(2026, 10, 16), Date.UTC(2026, 10, 23)],
    ['weekly', Date.UTC(2026, 10, 16), '2026-W47', Date.UTC(2026, 10, 16), Date.UTC(2026, 10, 23)],
    ['weekly', Date.UTC(2026, 10, 23) - 1, '2026-W47', Date.UTC(2026, 10, 16), Date.UTC(2026, 10, 23)],
    ['weekly', Date.UTC(2026, 0, 5), '2026-W02', Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 12)],
    ['monthly', Date.UTC(2026, 10, 21, 13, 45), '2026-11', Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)],
    ['monthly', Date.UTC(2026, 11, 15), '2026-12', Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1)],
    ['monthly', Date.UTC(2027, 0, 1) - 1, '2026-12', Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1)],
    ['monthly', Date.UTC(2028, 1, 10), '2028-02', Date.UTC(2028, 1, 1), Date.UTC(2028, 2, 1)],
  ])('%s in UTC at %#', (period, ms, key, startMs, endMs) => {
    expect(periodWindow(period, 'UTC', ms)).toEqual({ key, startMs, endMs });
  });

  it.each<[string, number, string, number, number]>([
    ['2026-12-31 (Thursday)', Date.UTC(2026, 11, 31, 12), '2026-W53', Date.UTC(2026, 11, 28), Date.UTC(2027, 0, 4)],
    ['2027-01-01 (Friday)', Date.UTC(2027, 0, 1, 12), '2026-W53', Date.UTC(2026, 11, 28), Date.UTC(2027, 0, 4)],
    ['2027-01-03 (Sunday)', Date.UTC(2027, 0, 3, 23, 59), '2026-W53', Date.UTC(2026, 11, 28), Date.UTC(2027, 0, 4)],
    ['2027-01-04 (Monday)', Date.UTC(2027, 0, 4), '2027-W01', Date.UTC(2027, 0, 4), Date.UTC(2027, 0, 11)],
    ['2025-12-29 (Monday)', Date.UTC(2025, 11, 29, 8), '2026-W01', Date.UTC(2025, 11, 29), Date.UTC(2026, 0, 5)],
    ['2025-12-28 (Sunday)', Date.UTC(2025, 11, 28, 8), '2025-W52', Date.UTC(2025, 11, 22), Date.UTC(2025, 11, 29)],
    ['2021-01-03 (Sunday)', Date.UTC(2021, 0, 3), '2020-W53', Date.UTC(2020, 11, 28), Date.UTC(2021, 0, 4)],
  ])('puts %s in its ISO week', (_day, ms, key, startMs, endMs) => {
    expect(periodWindow('weekly', 'UTC', ms)).toEqual({ key, startMs, endMs });
  });

  it('gives America/New_York a 25-hour day when daylight saving time ends (2026-11-01)', () => {
    const expected = { key: '2026-11-01', startMs: Date.UTC(2026, 10, 1, 4), endMs: Date.UTC(2026, 10, 2, 5) };
    // Noon UTC, then 01:30 local twice (EDT at 05:30Z, EST at 06:30Z), then the last millisecond.
    for (const ms of [Date.UTC(2026, 10, 1, 12), Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 10, 1, 6, 30), Date.UTC(2026, 10, 2, 5) - 1]) {
      expect(periodWindow('daily', 'America/New_York', ms), iso(ms)).toEqual(expected);
    }
    expect(expected.endMs - expected.startMs).toBe(25 * HOUR);
    expect(periodWindow('daily', 'America/New_York', Date.UTC(2026, 10, 1, 4) - 1).key).toBe('2026-10-31');
    expect(periodWindow('daily', 'America/New_York', Date.UTC(2026, 10, 2, 5)).key).toBe('2026-11-02');
  });

  it('gives Europe/Berlin a 23-hour day when daylight saving time starts (2026-03-29)', () => {
    const window = periodWindow('daily', 'Europe/Berlin', Date.UTC(2026, 2, 29, 12));
    expect(window).toEqual({ key: '2026-03-29', startMs: Date.UTC(2026, 2, 28, 23), endMs: Date.UTC(2026, 2, 29, 22) });
    expect(window.endMs - window.startMs).toBe(23 * HOUR);
    // 00:30 CET and 03:30 CEST, either side of the skipped hour.
    expect(periodWindow('daily', 'Europe/Berlin', Date.UTC(2026, 2, 28, 23, 30)).key).toBe('2026-03-29');
    expect(periodWindow('daily', 'Europe/Berlin', Date.UTC(2026, 2, 29, 1, 30)).key).toBe('2026-03-29');
    expect(periodWindow('daily', 'Europe/Berlin', Date.UTC(2026, 2, 29, 22)).key).toBe('2026-03-30');
  });

  it('puts a UTC evening in Asia/Kolkata (+05:30) on the next local day', () => {
    const evening = Date.UTC(2026, 4, 10, 19);
    expect(periodWindow('daily', 'UTC', evening).key).toBe('2026-05-10');
    expect(periodWindow('daily', 'Asia/Kolkata', evening)).toEqual({
      key: '2026-05-11', startMs: Date.UTC(2026, 4, 10, 18, 30), endMs: Date.UTC(2026, 4, 11, 18, 30),
    });
    expect(periodWindow('daily', 'Asia/Kolkata', Date.UTC(2026, 4, 10, 18, 30) - 1).key).toBe('2026-05-10');
    // The last evening of May is already June in India.
    expect(periodWindow('monthly', 'Asia/Kolkata', Date.UTC(2026, 4, 31, 20))).toEqual({
      key: '2026-06', startMs: Date.UTC(2026, 4, 31, 18, 30), endMs: Date.UTC(2026, 5, 30, 18, 30),
    });
  });

  it('follows the zone for weeks and months', () => {
    // Sunday 23:30 in New York is Monday 04:30 UTC: still the old week there.
    expect(periodWindow('weekly', 'America/New_York', Date.UTC(2027, 0, 4, 4, 30))).toEqual({
      key: '2026-W53', startMs: Date.UTC(2026, 11, 28, 5), endMs: Date.UTC(2027, 0, 4, 5),
    });
    expect(periodWindow('weekly', 'UTC', Date.UTC(2027, 0, 4, 4, 30)).key).toBe('2027-W01');
    // December in Berlin starts and ends at 23:00 UTC the day before, and rolls to the next year.
    expect(periodWindow('monthly', 'Europe/Berlin', Date.UTC(2026, 11, 31, 22, 59))).toEqual({
      key: '2026-12', startMs: Date.UTC(2026, 10, 30, 23), endMs: Date.UTC(2026, 11, 31, 23),
    });
    expect(periodWindow('monthly', 'Europe/Berlin', Date.UTC(2026, 11, 31, 23)).key).toBe('2027-01');
    // March in Berlin starts in winter time and ends in summer time: 31 days less one hour.
    const march = periodWindow('monthly', 'Europe/Berlin', Date.UTC(2026, 2, 15));
    expect(march).toEqual({ key: '2026-03', startMs: Date.UTC(2026, 1, 28, 23), endMs: Date.UTC(2026, 2, 31, 22) });
  });

  /** Walks `count` periods from `fromMs`: each starts where the last ended and holds every instant tested in it. */
  function expectContiguous(period: BudgetPeriod, timeZone: string, fromMs: number, count: number, stepMs: number): void {
    let window = periodWindow(period, timeZone, fromMs);
    for (let i = 0; i < count; i++) {
      const { key, startMs, endMs } = window;
      const where = `${timeZone} ${period} ${key} [${iso(startMs)}, ${iso(endMs)})`;
      expect(startMs, where).toBeLessThan(endMs);
      const instants = [startMs, endMs - 1];
      for (let ms = startMs + 7 * 60_000; ms < endMs; ms += stepMs) instants.push(ms);
      for (const ms of instants) {
        const at = periodWindow(period, timeZone, ms);
        expect(at.key, `${where} at ${iso(ms)}`).toBe(key);
        expect(at.startMs <= ms && ms < at.endMs, `${where} at ${iso(ms)}: [${iso(at.startMs)}, ${iso(at.endMs)})`).toBe(true);
      }
      const next = periodWindow(period, timeZone, endMs);
      expect(next.startMs, where).toBe(endMs);
      expect(next.key > key, `${where} then ${next.key}`).toBe(true);
      window = next;
    }
  }

  it.each([
    ['America/New_York', Date.UTC(2026, 9, 10)],
    ['America/New_York', Date.UTC(2026, 1, 20)],
    ['Europe/Berlin', Date.UTC(2026, 2, 5)],
    ['Europe/Berlin', Date.UTC(2026, 9, 1)],
    ['Asia/Kolkata', Date.UTC(2026, 0, 1)],
    ['UTC', Date.UTC(2026, 11, 1)],
  ])('chains 40 days in %s without gap or overlap (from %#)', (timeZone, fromMs) => {
    expectContiguous('daily', timeZone, fromMs, 40, 37 * 60_000);
  });

  it.each([['America/New_York'], ['Europe/Berlin'], ['Australia/Sydney']])('chains weeks and months in %s across a year end', (timeZone) => {
    expectContiguous('weekly', timeZone, Date.UTC(2026, 8, 1), 20, 5 * HOUR);
    expectContiguous('monthly', timeZone, Date.UTC(2026, 1, 1), 14, 29 * HOUR);
  });

  it.each([
    // Zones whose daylight saving time starts at midnight: 00:00 local never happens on that day.
    ['America/Santiago', Date.UTC(2026, 7, 25)],
    ['America/Havana', Date.UTC(2026, 1, 25)],
    ['Atlantic/Azores', Date.UTC(2026, 2, 15)],
  ])('chains days in %s, where the clock skips midnight', (timeZone, fromMs) => {
    expectContiguous('daily', timeZone, fromMs, 30, 37 * 60_000);
  });

  it('ends the day before America/Santiago skips midnight (2026-09-06) when the new day starts', () => {
    // 2026-09-05 23:30 local (-04): clocks go from 2026-09-05 23:59:59 -04 to 2026-09-06 01:00 -03 at 04:00Z.
    const ms = Date.UTC(2026, 8, 6, 3, 30);
    expect(periodWindow('daily', 'America/Santiago', ms)).toEqual({
      key: '2026-09-05', startMs: Date.UTC(2026, 8, 5, 4), endMs: Date.UTC(2026, 8, 6, 4),
    });
    expect(periodWindow('daily', 'America/Santiago', Date.UTC(2026, 8, 6, 4))).toEqual({
      key: '2026-09-06', startMs: Date.UTC(2026, 8, 6, 4), endMs: Date.UTC(2026, 8, 7, 3),
    });
  });

  it('budgetPeriod uses the budget\'s period and zone', () => {
    const [budget] = parseBudgets([{ id: 'b', limitUsd: 1, period: 'weekly', timeZone: 'America/New_York' }], SOURCE);
    const ms = Date.UTC(2027, 0, 4, 4, 30);
    expect(budgetPeriod(budget!, ms)).toEqual(periodWindow('weekly', 'America/New_York', ms));
    expect(budgetPeriod({ period: 'monthly', timeZone: 'UTC' }, ms).key).toBe('2027-01');
  });
});

describe('PeriodCache', () => {
  const budgets: Pick<BudgetDefinition, 'period' | 'timeZone'>[] = [];
  for (const period of ['daily', 'weekly', 'monthly'] as const) {
    for (const timeZone of ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata']) budgets.push({ period, timeZone });
  }
  const from = Date.UTC(2026, 1, 15);
  const to = Date.UTC(2026, 4, 15);

  it.each(budgets.map((b) => [b.period, b.timeZone, b] as const))('agrees with budgetPeriod for %s in %s, in any order', (_p, _z, budget) => {
    const next = seededRandom(7);
    const cache = new PeriodCache(budget);
    // Random jumps across three months, forwards and backwards.
    for (let i = 0; i < 600; i++) {
      const ms = from + Math.floor(next() * (to - from));
      expect(cache.keyAt(ms), iso(ms)).toBe(budgetPeriod(budget, ms).key);
    }
    // Runs of nearby instants, as in a batch of spans, that straddle period boundaries.
    let ms = from;
    while (ms < to) {
      const { startMs, endMs } = budgetPeriod(budget, ms);
      for (const at of [endMs - 1, startMs, endMs, endMs - 1, endMs + 1, startMs - 1, startMs]) {
        expect(cache.keyAt(at), iso(at)).toBe(budgetPeriod(budget, at).key);
      }
      ms = endMs + Math.floor(next() * DAY);
    }
  });

  it('changes key exactly at the boundary', () => {
    const cache = new PeriodCache({ period: 'daily', timeZone: 'Europe/Berlin' });
    expect(cache.keyAt(Date.UTC(2026, 2, 29, 21, 59, 59, 999))).toBe('2026-03-29');
    expect(cache.keyAt(Date.UTC(2026, 2, 29, 22))).toBe('2026-03-30');
    expect(cache.keyAt(Date.UTC(2026, 2, 29, 21, 59, 59, 999))).toBe('2026-03-29');
  });

  it('agrees with budgetPeriod across America/Santiago\'s midnight change, whatever came first', () => {
    const budget = { period: 'daily' as const, timeZone: 'America/Santiago' };
    const cache = new PeriodCache(budget);
    // A span just after the change, then one from the last local hour before it.
    for (const ms of [Date.UTC(2026, 8, 6, 4, 30), Date.UTC(2026, 8, 6, 3, 30)]) {
      expect(cache.keyAt(ms), iso(ms)).toBe(budgetPeriod(budget, ms).key);
    }
  });
});

describe('BudgetMatcher', () => {
  const budget = (id: string, match: Record<string, string | string[]> = {}): BudgetDefinition =>
    parseBudgets([{ id, limitUsd: 10, period: 'daily', match }], SOURCE)[0]!;

  it('takes every span into a budget without a match', () => {
    const matcher = new BudgetMatcher([budget('all')]);
    expect(matcher.matching({}, {})).toEqual([0]);
    expect(matcher.matching({ 'genops.team': 'x' }, { 'service.name': 'y' })).toEqual([0]);
  });

  it('requires every field (AND) and any listed value (OR)', () => {
    const matcher = new BudgetMatcher([budget('ml-prod', { team: ['ml', 'research'], environment: 'prod' })]);
    expect(matcher.matching({ 'genops.team': 'ml', 'genops.environment': 'prod' }, {})).toEqual([0]);
    expect(matcher.matching({ 'genops.team': 'research', 'genops.environment': 'prod' }, {})).toEqual([0]);
    expect(matcher.matching({ 'genops.team': 'ml', 'genops.environment': 'dev' }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.team': 'ml' }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.environment': 'prod' }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.team': 'sales', 'genops.environment': 'prod' }, {})).toEqual([]);
  });

  it('compares values exactly', () => {
    const matcher = new BudgetMatcher([budget('ml', { team: 'ml' })]);
    expect(matcher.matching({ 'genops.team': 'ML' }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.team': 'ml ' }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.team': 'ml' }, {})).toEqual([0]);
  });

  it('prefers the span\'s attribute to the resource\'s, and falls back to the resource', () => {
    const matcher = new BudgetMatcher([budget('a', { team: 'a' }), budget('b', { team: 'b' })]);
    expect(matcher.matching({ 'genops.team': 'a' }, { 'genops.team': 'b' })).toEqual([0]);
    expect(matcher.matching({ 'genops.team': 'b' }, { 'genops.team': 'a' })).toEqual([1]);
    expect(matcher.matching({}, { 'genops.team': 'b' })).toEqual([1]);
    expect(matcher.matching({ 'genops.project': 'p' }, { 'genops.team': 'a' })).toEqual([0]);
  });

  it('reads the model from gen_ai.request.model when genops.cost.model is absent', () => {
    const matcher = new BudgetMatcher([budget('gpt', { model: 'gpt-4o' })]);
    expect(matcher.matching({ 'gen_ai.request.model': 'gpt-4o' }, {})).toEqual([0]);
    expect(matcher.matching({ 'gen_ai.response.model': 'gpt-4o' }, {})).toEqual([0]);
    expect(matcher.matching({ 'genops.cost.model': 'gpt-4o', 'gen_ai.request.model': 'gpt-4' }, {})).toEqual([0]);
    expect(matcher.matching({ 'genops.cost.model': 'gpt-4', 'gen_ai.request.model': 'gpt-4o' }, {})).toEqual([]);
  });

  it('reads the environment from deployment.environment.name, service from service.name, provider from gen_ai.provider.name', () => {
    const matcher = new BudgetMatcher([
      budget('prod', { environment: 'prod' }), budget('svc', { service: 'checkout' }), budget('openai', { provider: 'openai' }),
    ]);
    expect(matcher.matching({}, { 'deployment.environment.name': 'prod' })).toEqual([0]);
    expect(matcher.matching({}, { 'deployment.environment': 'prod' })).toEqual([0]);
    expect(matcher.matching({}, { 'service.name': 'checkout' })).toEqual([1]);
    expect(matcher.matching({ 'gen_ai.provider.name': 'openai' }, {})).toEqual([2]);
    expect(matcher.matching({ 'gen_ai.system': 'openai' }, {})).toEqual([2]);
  });

  it('does not match attribute values that are not strings', () => {
    const matcher = new BudgetMatcher([budget('n', { customer_id: '42' }), budget('t', { feature: 'true' })]);
    expect(matcher.matching({ 'genops.customer_id': 42 }, {})).toEqual([]);
    expect(matcher.matching({}, { 'genops.customer_id': 42 })).toEqual([]);
    expect(matcher.matching({ 'genops.customer_id': ['42'] }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.feature': true }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.feature': null }, {})).toEqual([]);
    expect(matcher.matching({ 'genops.customer_id': '42', 'genops.feature': 'true' }, {})).toEqual([0, 1]);
  });

  it('returns the indexes of every matching budget, in order', () => {
    const budgets = [
      budget('ml', { team: 'ml' }), budget('sales', { team: 'sales' }), budget('all'),
      budget('prod', { environment: 'prod' }), budget('ml-gpt', { team: 'ml', model: ['gpt-4o', 'o3'] }),
    ];
    const matcher = new BudgetMatcher(budgets);
    expect(matcher.budgets).toBe(budgets);
    expect(matcher.matching({ 'genops.team': 'ml', 'gen_ai.request.model': 'o3' }, { 'deployment.environment.name': 'prod' })).toEqual([0, 2, 3, 4]);
    expect(matcher.matching({ 'genops.team': 'sales' }, {})).toEqual([1, 2]);
    expect(matcher.matching({}, {})).toEqual([2]);
    expect(new BudgetMatcher([]).matching({ 'genops.team': 'ml' }, {})).toEqual([]);
  });
});

describe('readBudgets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'budgets-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const definitions = [{ id: 'ml', limitUsd: 50, period: 'weekly', match: { team: 'ml' } }];
  const expected = [{ id: 'ml', limitUsd: 50, period: 'weekly', timeZone: 'UTC', match: { team: ['ml'] }, thresholds: [50, 80, 90, 100] }];

  it('returns no budgets when neither variable is set', () => {
    expect(readBudgets({})).toEqual([]);
    expect(readBudgets({ GOVERNANCE_BUDGETS: '  ', GOVERNANCE_BUDGETS_FILE: '' })).toEqual([]);
  });

  it('reads inline JSON from GOVERNANCE_BUDGETS', () => {
    expect(readBudgets({ GOVERNANCE_BUDGETS: JSON.stringify(definitions) })).toEqual(expected);
    expect(readBudgets({ GOVERNANCE_BUDGETS: ` ${JSON.stringify({ budgets: definitions })}\n` })).toEqual(expected);
  });

  it('rejects invalid JSON, naming GOVERNANCE_BUDGETS', () => {
    const error = readError({ GOVERNANCE_BUDGETS: '[{"id": "ml",}]' });
    expect(error).not.toBeInstanceOf(BudgetDefinitionError);
    expect(error.setting).toBe('GOVERNANCE_BUDGETS');
    expect(error.message).toMatch(/^GOVERNANCE_BUDGETS: is not valid JSON: /);
  });

  it('names GOVERNANCE_BUDGETS for an invalid inline budget', () => {
    const error = readError({ GOVERNANCE_BUDGETS: JSON.stringify([{ id: 'ml', limitUsd: 0, period: 'daily' }]) });
    expect(error).toBeInstanceOf(BudgetDefinitionError);
    expect(error.message).toBe(`GOVERNANCE_BUDGETS: budget "ml": limitUsd must be a number of USD above 0 and at most 1000000000, got 0`);
  });

  it('reads the file GOVERNANCE_BUDGETS_FILE names', () => {
    const file = join(dir, 'budgets.json');
    writeFileSync(file, JSON.stringify({ budgets: definitions }, null, 2));
    expect(readBudgets({ GOVERNANCE_BUDGETS_FILE: file })).toEqual(expected);
  });

  it('names the file in errors about its content', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ budgets: [] }');
    const json = readError({ GOVERNANCE_BUDGETS_FILE: bad });
    expect(json.setting).toBe(`GOVERNANCE_BUDGETS_FILE (${bad})`);
    expect(json.message).toMatch(/is not valid JSON/);

    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify([{ id: 'ml', limitUsd: 5, period: 'hourly' }]));
    const budget = readError({ GOVERNANCE_BUDGETS_FILE: invalid });
    expect(budget).toBeInstanceOf(BudgetDefinitionError);
    expect(budget.message).toMatch(new RegExp(`^GOVERNANCE_BUDGETS_FILE \\(${invalid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): budget "ml": period `));
  });

  it('rejects a missing file, naming GOVERNANCE_BUDGETS_FILE and the path', () => {
    const missing = join(dir, 'missing.json');
    const error = readError({ GOVERNANCE_BUDGETS_FILE: missing });
    expect(error.setting).toBe('GOVERNANCE_BUDGETS_FILE');
    expect(error.message).toBe(`GOVERNANCE_BUDGETS_FILE: cannot read ${missing}: ENOENT`);
  });

  it('rejects both variables at once', () => {
    const file = join(dir, 'both.json');
    writeFileSync(file, JSON.stringify(definitions));
    const error = readError({ GOVERNANCE_BUDGETS: JSON.stringify(definitions), GOVERNANCE_BUDGETS_FILE: file });
    expect(error.message).toMatch(/set either GOVERNANCE_BUDGETS or GOVERNANCE_BUDGETS_FILE, not both/);
  });
});

describe('ledger keys and nano-USD', () => {
  it('builds the ledger keys', () => {
    expect(counterPk('ml', '2026-W47')).toBe('C#ml#2026-W47');
    expect(statusKey('ml')).toEqual({ pk: 'S#ml', sk: 'status' });
    expect(alertKey('ml', '2026-11', 80)).toEqual({ pk: 'A#ml#2026-11', sk: '80' });
  });

  it('converts USD to whole nano-USD', () => {
    expect(usdToNanos(0.000123)).toBe(123_000);
    expect(usdToNanos(0.1 + 0.2)).toBe(300_000_000);
    expect(usdToNanos(1)).toBe(1_000_000_000);
    expect(usdToNanos(0)).toBe(0);
    expect(Number.isInteger(usdToNanos(0.0000000014))).toBe(true);
  });

  it('sums 100,000 costs exactly in nano-USD', () => {
    const next = seededRandom(42);
    let nanos = 0;
    let micros = 0;
    for (let i = 0; i < 100_000; i++) {
      const costMicros = Math.floor(next() * 5_000_000); // up to $5, six decimals
      micros += costMicros;
      nanos += usdToNanos(costMicros / 1_000_000);
    }
    expect(Number.isSafeInteger(nanos)).toBe(true);
    expect(nanos).toBe(micros * 1_000);
    const usd = nanosToUsd(BigInt(nanos));
    expect(Math.round(usd * 100)).toBe(Math.round(micros / 10_000));
    expect(Math.abs(usd - micros / 1_000_000)).toBeLessThan(1e-6);
  });

  it('converts nano-USD back to USD beyond the exact range of a double', () => {
    expect(Math.abs(nanosToUsd(BigInt('123456789012345678')) - 123_456_789.012345678)).toBeLessThan(1e-6);
    expect(nanosToUsd(123_000)).toBe(0.000123);
    expect(nanosToUsd(-1_500_000_000n)).toBe(-1.5);
    expect(nanosToUsd(0n)).toBe(0);
  });
});

describe('BudgetMatcher: the span over its resource', () => {
  const [env] = parseBudgets([{ id: 'prod', limitUsd: 1, period: 'daily', match: { environment: 'prod', team: 'a' } }], 'test');
  const matcher = new BudgetMatcher([env!]);

  it('takes the span\'s value under any of the field\'s names before the resource\'s', () => {
    expect(matcher.matching({ 'deployment.environment.name': 'prod', 'genops.team': 'a' }, { 'genops.environment': 'dev' })).toEqual([0]);
  });

  it('passes over a span value that is not a string to the resource\'s', () => {
    expect(matcher.matching({ 'genops.team': 42, 'genops.environment': 'prod' }, { 'genops.team': 'a' })).toEqual([0]);
  });
});
