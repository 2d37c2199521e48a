/** The summary as the terminal shows it at the end of `npm start`, and the progress line while it runs. */
import type { Progress } from './run.js';
import type { CostRow, LocalRunSummary } from './summary.js';

const usd = (n: number): string => `$${n.toFixed(n >= 1 ? 2 : n >= 0.01 ? 4 : 6)}`;
const int = (n: number): string => n.toLocaleString('en-US');

function table(title: string, rows: CostRow[]): string[] {
  const lines = [`  ${title.padEnd(30)}${'calls'.padStart(7)}${'input tok'.padStart(12)}${'output tok'.padStart(12)}${'cost'.padStart(11)}`];
  for (const r of rows) lines.push(`    ${r.key.padEnd(28)}${int(r.calls).padStart(7)}${int(r.inputTokens).padStart(12)}${int(r.outputTokens).padStart(12)}${usd(r.costUsd).padStart(11)}`);
  return lines;
}

export function renderProgress(p: Progress): string {
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(0).padStart(3)} s`,
    `invocations ${p.answered}/${p.planned} (${p.failed} errors, ${p.blocked} blocked)`,
    `aggregated ${int(p.recordsAggregated)} records → ${int(p.eventsDelivered)} events delivered`,
    `budget runs ${p.budgetRuns}${p.enforcedBudgetPct === undefined ? '' : `, support-daily at ${p.enforcedBudgetPct.toFixed(1)} %`}`,
  ];
  return parts.join(' · ');
}

export function renderSummary(s: LocalRunSummary): string {
  const r = s.invocations.byResult;
  const e = s.events;
  const lines: string[] = [
    '',
    `lambda-governance local run: ${int(s.invocations.sent)} invocations in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  ${int(r.ok)} priced model calls, ${int(r.error)} errors, ${int(r['policy-block'])} refused by policy, ${int(r['budget-block'])} refused by the budget check`,
    '',
    `Cost and tokens (what the layer recorded): ${usd(s.cost.totalUsd)} over ${int(s.cost.calls)} calls, ${int(s.cost.inputTokens)} input and ${int(s.cost.outputTokens)} output tokens`,
    ...table('by team', s.cost.byTeam),
    ...table('by customer', s.cost.byCustomer),
    ...table('by model', s.cost.byModel),
    '',
    `Budgets (the ledger, as the budget function last read it; ${s.budgetRuns.runs} runs)`,
    ...s.budgets.map((b) => `  ${b.id.padEnd(16)} ${b.match.padEnd(20)} ${b.period.padEnd(8)} ${usd(b.consumedUsd).padStart(9)} of ${usd(b.limitUsd).padEnd(9)} ${`${b.utilizationPct.toFixed(1)} %`.padStart(8)}`
      + `${b.thresholdsCrossed.length ? `   crossed ${b.thresholdsCrossed.join(', ')} %` : ''}`),
    ...s.budgetRuns.failures.map((f) => `  budget run failure: ${f}`),
    '',
    s.markers.enabled
      ? `Markers posted to Honeycomb: ${s.markers.posted}; alerts published to the SNS topic: ${s.snsMessages}`
      : `Markers: off (set HONEYCOMB_CONFIG_KEY to post them); alerts published to the SNS topic: ${s.snsMessages}`,
    ...s.markers.messages.map((m) => `  ${m}`),
    '',
    'Events',
    `  spans the layer put on the stream   ${int(e.spansExported).padStart(7)}  (${int(e.streamRecords)} records, ${int(e.malformedRecords)} malformed)`,
    `  events delivered to Honeycomb       ${int(e.delivered).padStart(7)}  (spans, span events and ${int(e.rollups)} cost roll-ups)`,
    `  spans sampled out                   ${int(e.sampledOut).padStart(7)}  (sample rate ${s.options.sampleRate}; errors, blocks and costly calls always kept)`,
    `  records dead-lettered               ${int(e.deadLettered).padStart(7)}  ${Object.entries(e.deadLetterReasons).map(([code, n]) => `${code} ×${n}`).join(', ')}`,
    ...(e.rollupCostUsd === undefined ? [] : [`  cost in Honeycomb's roll-ups        ${usd(e.rollupCostUsd).padStart(7)}  (${e.rollupCostUsd === s.cost.totalUsd ? 'equal to' : 'DIFFERENT FROM'} the recorded cost)`]),
    ...(e.duplicates === undefined ? [] : [`  spans delivered twice               ${int(e.duplicates).padStart(7)}`]),
    `  spans lost                          ${int(s.lost.spans).padStart(7)}${s.lost.spans === 0 ? '' : `  (missing roots ${s.lost.missingRootSpans}, dropped by the layer ${s.lost.droppedByLayer}, held at shutdown ${s.lost.heldAtShutdown}, undelivered ${s.lost.undelivered}, discarded ${s.lost.discardedByMapping})`}`,
    '',
    `Data went to ${s.destination.description}.`,
  ];
  return lines.join('\n');
}
