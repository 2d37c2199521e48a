/**
 * Query specifications (§7.2 Queries, [TF query_spec.go]): the checks every saved query gets, the stricter subset
 * a trigger's query must meet (one aggregate, no HEATMAP or CONCURRENCY, no orders/limit/absolute times,
 * time_range between frequency and min(4 × frequency, 1 day)), and the columns a query reads, which is how a
 * derived column is found to be in use. Only the fields listed in QUERY_FIELDS are kept; others are dropped.
 */
import { isPlainObject } from './http.js';
import type { Checks } from './validation.js';

export const CALCULATION_OPS = [
  'COUNT', 'CONCURRENCY', 'SUM', 'AVG', 'COUNT_DISTINCT', 'MAX', 'MIN',
  'P001', 'P01', 'P05', 'P10', 'P20', 'P25', 'P50', 'P75', 'P80', 'P90', 'P95', 'P99', 'P999',
  'HEATMAP', 'RATE_AVG', 'RATE_SUM', 'RATE_MAX', 'COUNT_DATAPOINTS', 'HISTOGRAM_COUNT',
] as const;
/** The ops that take no column. */
const COLUMNLESS_OPS = new Set(['COUNT', 'CONCURRENCY', 'COUNT_DATAPOINTS']);
const FILTER_OPS = [
  '=', '!=', '>', '>=', '<', '<=', 'starts-with', 'does-not-start-with', 'ends-with', 'does-not-end-with',
  'exists', 'does-not-exist', 'contains', 'does-not-contain', 'in', 'not-in',
] as const;
const VALUELESS_FILTER_OPS = new Set(['exists', 'does-not-exist']);
const QUERY_FIELDS = [
  'calculations', 'filters', 'filter_combination', 'breakdowns', 'orders', 'havings', 'limit', 'time_range',
  'start_time', 'end_time', 'granularity', 'calculated_fields', 'formulas', 'usage_mode',
] as const;

/** Checks a query spec under `at` (e.g. 'query.' inside a trigger, '' for /1/queries); returns the kept fields. */
export function checkQuerySpec(spec: Record<string, unknown>, checks: Checks, at = ''): Record<string, unknown> {
  const calculations = checks.array(spec['calculations'], `${at}calculations`) ?? [];
  calculations.forEach((item, i) => {
    const field = `${at}calculations[${i}]`;
    const calc = checks.object(item, field, true);
    if (!calc) return;
    const op = checks.string(calc['op'], `${field}.op`, { required: true, oneOf: CALCULATION_OPS });
    checks.string(calc['column'], `${field}.column`, { required: op !== undefined && !COLUMNLESS_OPS.has(op), min: 1 });
  });
  const filters = checks.array(spec['filters'], `${at}filters`) ?? [];
  filters.forEach((item, i) => {
    const field = `${at}filters[${i}]`;
    const filter = checks.object(item, field, true);
    if (!filter) return;
    checks.string(filter['column'], `${field}.column`, { required: true, min: 1 });
    const op = checks.string(filter['op'], `${field}.op`, { required: true, oneOf: FILTER_OPS });
    if (op !== undefined && !VALUELESS_FILTER_OPS.has(op) && filter['value'] === undefined) checks.missing(`${field}.value`);
  });
  checks.string(spec['filter_combination'], `${at}filter_combination`, { oneOf: ['AND', 'OR'] });
  const breakdowns = checks.array(spec['breakdowns'], `${at}breakdowns`, { max: 100 }) ?? [];
  breakdowns.forEach((b, i) => checks.string(b, `${at}breakdowns[${i}]`, { required: true, min: 1 }));
  const orders = checks.array(spec['orders'], `${at}orders`) ?? [];
  orders.forEach((item, i) => {
    const order = checks.object(item, `${at}orders[${i}]`, true);
    if (order) checks.string(order['order'], `${at}orders[${i}].order`, { oneOf: ['ascending', 'descending'] });
  });
  checks.array(spec['havings'], `${at}havings`);
  checks.integer(spec['limit'], `${at}limit`, { min: 1, max: 1000 });
  checks.integer(spec['time_range'], `${at}time_range`, { min: 1 });
  checks.integer(spec['start_time'], `${at}start_time`);
  checks.integer(spec['end_time'], `${at}end_time`);
  checks.integer(spec['granularity'], `${at}granularity`, { min: 0 });
  for (const name of ['calculated_fields', 'formulas'] as const) {
    (checks.array(spec[name], `${at}${name}`) ?? []).forEach((item, i) => {
      const entry = checks.object(item, `${at}${name}[${i}]`, true);
      if (!entry) return;
      checks.string(entry['name'], `${at}${name}[${i}].name`, { required: true, min: 1 });
      checks.string(entry['expression'], `${at}${name}[${i}].expression`, { required: true, min: 1 });
    });
  }
  return Object.fromEntries(QUERY_FIELDS.filter((f) => spec[f] !== undefined && spec[f] !== null).map((f) => [f, spec[f]]));
}

/** The extra rules for a trigger's query (inline or by query_id), reported under `at`. */
export function checkTriggerQuery(spec: Record<string, unknown>, frequency: number, checks: Checks, at: string): void {
  const calculations = Array.isArray(spec['calculations']) ? spec['calculations'].filter(isPlainObject) : [];
  const formulas = Array.isArray(spec['formulas']) ? spec['formulas'] : [];
  if (calculations.length === 0) checks.missing(`${at}calculations`);
  else if (formulas.length === 0 && calculations.length > 1) checks.invalid(`${at}calculations`, 'a trigger query takes exactly one calculation (or one formula)');
  if (formulas.length > 1) checks.invalid(`${at}formulas`, 'a trigger query takes at most one formula');
  if (calculations.length > 100) checks.invalid(`${at}calculations`, 'a trigger formula takes at most 100 aggregates');
  calculations.forEach((calc, i) => {
    if (calc['op'] === 'HEATMAP' || calc['op'] === 'CONCURRENCY') checks.invalid(`${at}calculations[${i}].op`, `${String(calc['op'])} cannot be used in a trigger`);
  });
  for (const field of ['orders', 'limit', 'start_time', 'end_time', 'usage_mode', 'granularity'] as const) {
    if (spec[field] !== undefined && spec[field] !== null) checks.invalid(`${at}${field}`, 'is not supported in a trigger query');
  }
  if (Array.isArray(spec['havings']) && spec['havings'].length > 1) checks.invalid(`${at}havings`, 'a trigger query takes at most one having');
  const timeRange = spec['time_range'];
  const longest = Math.min(4 * frequency, 86_400);
  if (timeRange === undefined || timeRange === null) checks.missing(`${at}time_range`);
  else if (typeof timeRange === 'number' && (timeRange < frequency || timeRange > longest)) {
    checks.invalid(`${at}time_range`, `must be between the frequency (${frequency}) and ${longest} seconds`);
  }
}

/** Every column name a query reads: calculations, filters, breakdowns, orders, havings. */
export function queryColumns(spec: Record<string, unknown>): Set<string> {
  const columns = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') columns.add(value);
  };
  for (const field of ['calculations', 'filters', 'orders', 'havings'] as const) {
    const items = spec[field];
    if (Array.isArray(items)) for (const item of items) if (isPlainObject(item)) add(item['column']);
  }
  if (Array.isArray(spec['breakdowns'])) spec['breakdowns'].forEach(add);
  return columns;
}
