import { ConfigurationError } from '../env.js';

/** A budget definition is wrong; the message names the source, the budget and the field. */
export class BudgetDefinitionError extends ConfigurationError {
  public readonly budget: string;
  public readonly field: string;
  public constructor(source: string, budget: string, field: string, message: string, options?: { cause?: unknown }) {
    super(source, `budget ${budget}: ${field} ${message}`, options);
    this.name = 'BudgetDefinitionError';
    this.budget = budget;
    this.field = field;
  }
}
