/** Some part of a budget run failed; the rest was done. `failures` names each budget and step. */
export class BudgetRunError extends Error {
  public readonly failures: string[];
  public constructor(failures: string[], options?: { cause?: unknown }) {
    super(`budget run incomplete (${failures.length} failure${failures.length === 1 ? '' : 's'}): ${failures.join('; ')}`, options);
    this.name = 'BudgetRunError';
    this.failures = failures;
  }
}

