/** Some part of a budget run failed; the rest was done. `failures` names each budget and step. */
export class BudgetRunError extends Error {
  public readonly failures: string[];
  public constructor(failures: string[], options?: { cause?: unknown }) {
    super(`budget run incomplete (${failures.length} failure${failures.length === 1 ? '' : 's'}): ${failures.join('; ')}`, options);
    this.name = 'BudgetRunError';
    this.failures = failures;
  }
}

/** Honeycomb refused a marker for a reason retrying will not fix (key, permission, dataset). */
export class MarkerRejectedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MarkerRejectedError';
  }
}
