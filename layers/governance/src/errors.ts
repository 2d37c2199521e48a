/** The layer's public errors; ConfigurationError's definition is shared with the functions in common/. */
export { ConfigurationError } from '../../../common/env.js';

/**
 * Thrown by governance.checkBudget() when the budget is exhausted and enforcement is on
 * (GOVERNANCE_BUDGET_ENFORCE=true or `{ enforce: true }`): the expensive call should not be made.
 */
export class BudgetExceededError extends Error {
  public readonly budgetId: string;
  public readonly limitUsd: number;
  public readonly consumedUsd: number;
  public readonly periodKey: string;
  public constructor(decision: { budgetId: string; limitUsd: number; consumedUsd: number; periodKey: string; reason: string }) {
    super(`budget ${decision.budgetId} exhausted: ${decision.reason}`);
    this.name = 'BudgetExceededError';
    this.budgetId = decision.budgetId;
    this.limitUsd = decision.limitUsd;
    this.consumedUsd = decision.consumedUsd;
    this.periodKey = decision.periodKey;
  }
}
