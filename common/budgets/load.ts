/** Budget definitions for a function: GOVERNANCE_BUDGETS (JSON) or GOVERNANCE_BUDGETS_FILE (a JSON file's path). */
import { readFileSync } from 'node:fs';
import { ConfigurationError, str, type Env } from '../env.js';
import { parseBudgets } from './schema.js';
import type { BudgetDefinition } from './types.js';

function parseJson(setting: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(setting, `is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The validated budgets, or an empty list when neither variable is set. */
export function readBudgets(env: Env): BudgetDefinition[] {
  const inline = str(env, 'GOVERNANCE_BUDGETS');
  const file = str(env, 'GOVERNANCE_BUDGETS_FILE');
  if (inline !== undefined && file !== undefined) {
    throw new ConfigurationError('GOVERNANCE_BUDGETS_FILE', 'set either GOVERNANCE_BUDGETS or GOVERNANCE_BUDGETS_FILE, not both');
  }
  if (inline !== undefined) return parseBudgets(parseJson('GOVERNANCE_BUDGETS', inline), 'GOVERNANCE_BUDGETS');
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError('GOVERNANCE_BUDGETS_FILE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return parseBudgets(parseJson(`GOVERNANCE_BUDGETS_FILE (${file})`, text), `GOVERNANCE_BUDGETS_FILE (${file})`);
}
