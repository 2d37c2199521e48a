/**
 * Each costed span's charge to the budgets it matches: per record, the nano-USD and span count to add to each
 * budget period's counter. Charges are per record because a record is what Kinesis redelivers.
 */
import { BudgetMatcher, counterPk, PeriodCache, usdToNanos, type BudgetDefinition } from '../../common/budgets/index.js';
import type { Attributes, OtlpSpan } from '../../common/otlp/index.js';

export interface Charge { nanos: number; events: number }
/** Counter partition key → charge. */
export type RecordCharges = Map<string, Charge>;

/** Long-lived: the compiled matches and each budget's current period survive across invocations. */
export class BudgetChargeRules {
  private readonly matcher: BudgetMatcher;
  private readonly periods: PeriodCache[];

  public constructor(public readonly budgets: readonly BudgetDefinition[]) {
    this.matcher = new BudgetMatcher(budgets);
    this.periods = budgets.map((b) => new PeriodCache(b));
  }

  /** Adds the span's cost to `charges` for every budget it matches, in the period of the span's start. */
  public charge(charges: RecordCharges, span: OtlpSpan, resource: Attributes, costUsd: number): void {
    const nanos = usdToNanos(costUsd);
    if (!(nanos > 0)) return;
    const startMs = span.startTimeUnixNano / 1e6;
    for (const i of this.matcher.matching(span.attributes, resource)) {
      const key = counterPk(this.budgets[i]!.id, this.periods[i]!.keyAt(startMs));
      const charge = charges.get(key);
      if (charge === undefined) charges.set(key, { nanos, events: 1 });
      else {
        charge.nanos += nanos;
        charge.events++;
      }
    }
  }
}
