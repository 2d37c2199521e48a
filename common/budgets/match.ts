/** Which budgets a span's cost belongs to, from its governance fields (span attributes, then resource). */
import type { Attributes } from '../otlp/index.js';
import { MATCH_FIELDS, type BudgetDefinition, type MatchField } from './types.js';

interface Condition { names: readonly string[]; values: ReadonlySet<string> }

/** The span's own value under any of the names wins over its resource's; only strings count. */
function fieldValue(names: readonly string[], span: Attributes, resource: Attributes): string | undefined {
  for (const attributes of [span, resource]) {
    for (const name of names) {
      const value = attributes[name];
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}

export class BudgetMatcher {
  private readonly conditions: Condition[][];

  public constructor(public readonly budgets: readonly BudgetDefinition[]) {
    this.conditions = budgets.map((b) => Object.entries(b.match).map(([field, values]) => ({
      names: MATCH_FIELDS[field as MatchField], values: new Set(values),
    })));
  }

  /** Indexes (into `budgets`) of every budget whose match the span satisfies. */
  public matching(span: Attributes, resource: Attributes): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.conditions.length; i++) {
      const all = this.conditions[i]!.every((c) => {
        const value = fieldValue(c.names, span, resource);
        return value !== undefined && c.values.has(value);
      });
      if (all) out.push(i);
    }
    return out;
  }
}
