export * from './types.js';
export { BudgetDefinitionError } from './errors.js';
export { parseBudgets, isTimeZone } from './schema.js';
export { budgetPeriod, periodWindow, PeriodCache, type PeriodWindow } from './period.js';
export { BudgetMatcher } from './match.js';
export { readBudgets } from './load.js';
export * from './ledger-keys.js';
export * from './ledger-reads.js';
