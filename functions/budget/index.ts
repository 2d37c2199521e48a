/**
 * Lambda entry point of the budget function (functions/budget), run by an EventBridge schedule.
 * Configuration is read once, at init: a wrong setting fails the init with a message naming it.
 */
import { readBudgetCheckerConfig } from './config.js';
import { createBudgetChecker } from './handler.js';

export const handler = createBudgetChecker(readBudgetCheckerConfig(process.env));
