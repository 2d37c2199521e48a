/**
 * The local run's budgets, sized to its workload so the demo shows the whole range: the support team's daily
 * budget is planned at 130 % (it crosses every threshold, and its chat function's budget check starts
 * refusing calls once it is spent), acme's monthly budget at about 70 %, the legal team's at about 40 %.
 */
import type { BudgetDefinitionInput } from '../../common/budgets/index.js';
import type { PlannedInvocation } from './workload.js';

/** The budget the chat function checks before each model call (CHAT_BUDGET_ID). */
export const ENFORCED_BUDGET_ID = 'support-daily';

const THRESHOLDS = [50, 80, 90, 100];

/** A limit that puts `plannedUsd` at `targetPct` of it, in tenths of a cent and never zero. */
function limitFor(plannedUsd: number, targetPct: number): number {
  return Math.max(0.001, Math.round((plannedUsd * 100_000) / targetPct) / 1000);
}

export function budgetsFor(plan: readonly PlannedInvocation[]): BudgetDefinitionInput[] {
  const planned = (keep: (p: PlannedInvocation) => boolean): number => plan.filter(keep).reduce((sum, p) => sum + p.expectedCostUsd, 0);
  return [
    { id: ENFORCED_BUDGET_ID, limitUsd: limitFor(planned((p) => p.team === 'support'), 130), period: 'daily', match: { team: 'support' }, thresholds: THRESHOLDS },
    { id: 'acme-monthly', limitUsd: limitFor(planned((p) => p.customer === 'acme'), 70), period: 'monthly', match: { customer_id: 'acme' }, thresholds: THRESHOLDS },
    { id: 'legal-monthly', limitUsd: limitFor(planned((p) => p.team === 'legal'), 40), period: 'monthly', match: { team: 'legal' }, thresholds: THRESHOLDS },
  ];
}
