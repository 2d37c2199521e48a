/**
 * Budget periods: which day, ISO week or month an instant falls in, in the budget's time zone, and when that
 * period starts and ends. Keys sort in time order and name the period plainly: 2026-11-21, 2026-W47, 2026-11.
 */
import type { BudgetDefinition, BudgetPeriod } from './types.js';

export interface PeriodWindow {
  key: string;
  /** First millisecond of the period. */
  startMs: number;
  /** First millisecond of the next period. */
  endMs: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `ms`: local wall-clock time read as UTC, minus the instant. */
function offsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant local midnight starts the given day (month and day may overflow, as with Date.UTC). */
function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const first = wall - offsetMs(wall, timeZone);
  // Once more with the offset in force at that instant, which differs when a DST change lies in between.
  const second = wall - offsetMs(first, timeZone);
  // Where the clock skips midnight (DST starting at 00:00), `second` reads as 23:00 of the day before: the
  // day then starts at the first instant after the gap, which `first` is.
  return second + offsetMs(second, timeZone) >= wall ? second : first;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The period of `period` kind that contains `ms`, in `timeZone`. */
export function periodWindow(period: BudgetPeriod, timeZone: string, ms: number): PeriodWindow {
  // The local calendar date, as a UTC midnight to do date arithmetic on.
  const local = new Date(ms + offsetMs(ms, timeZone));
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + 1;
  const day = local.getUTCDate();
  if (period === 'daily') {
    return { key: `${year}-${pad(month)}-${pad(day)}`, startMs: localMidnight(year, month, day, timeZone), endMs: localMidnight(year, month, day + 1, timeZone) };
  }
  if (period === 'monthly') {
    return { key: `${year}-${pad(month)}`, startMs: localMidnight(year, month, 1, timeZone), endMs: localMidnight(year, month + 1, 1, timeZone) };
  }
  // ISO 8601 week: starts on Monday; the week belongs to the year its Thursday falls in.
  const daysSinceMonday = (local.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(year, month - 1, day - daysSinceMonday));
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * DAY_MS));
  const [my, mm, md] = [monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate()];
  return { key: `${isoYear}-W${pad(week)}`, startMs: localMidnight(my, mm, md, timeZone), endMs: localMidnight(my, mm, md + 7, timeZone) };
}

/** The period of a budget containing `ms`. */
export function budgetPeriod(budget: Pick<BudgetDefinition, 'period' | 'timeZone'>, ms: number): PeriodWindow {
  return periodWindow(budget.period, budget.timeZone, ms);
}

/** Remembers the last period per budget: spans of one batch almost always fall in the same one. */
export class PeriodCache {
  private last: PeriodWindow | undefined;
  public constructor(private readonly budget: Pick<BudgetDefinition, 'period' | 'timeZone'>) {}

  public keyAt(ms: number): string {
    const last = this.last;
    if (last !== undefined && ms >= last.startMs && ms < last.endMs) return last.key;
    this.last = budgetPeriod(this.budget, ms);
    return this.last.key;
  }
}
