/**
 * The local run's workload: a repeatable plan (seeded) of invocations of the three sample functions, owned by
 * three teams, for four customers on six models, with provider failures and requests the policies refuse.
 * Each planned call knows what it will cost if it goes through, so budgets can be sized to the run.
 */
import { BUILT_IN_PRICES, PriceBook, roundUsd } from '../../layers/governance/src/pricing.js';
import { providerOf, usageOf, type ModelRequest, type ModelTask } from '../../functions/samples/shared/model.js';

export type SampleName = 'chat' | 'summarise' | 'embed';

/** The sample functions as the local run deploys them: each belongs to one team and project. */
export const SAMPLE_FUNCTIONS: Record<SampleName, { team: string; project: string; task: ModelTask }> = {
  chat: { team: 'support', project: 'support-bot', task: 'chat' },
  summarise: { team: 'legal', project: 'contract-review', task: 'summarise' },
  embed: { team: 'search', project: 'semantic-search', task: 'embed' },
};

export const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella'] as const;

/** What the plan means an invocation to do; the run records what it did. */
export type Intent = 'ok' | 'provider-error' | 'policy-block';

export interface PlannedInvocation {
  index: number;
  /** When to send it, from the start of the load. */
  atMs: number;
  fn: SampleName;
  team: string;
  customer: string;
  model: string;
  intent: Intent;
  /** The model call's cost if it goes through (0 when the plan has it fail or refused). */
  expectedCostUsd: number;
  event: unknown;
}

export interface WorkloadOptions { durationMs: number; rate: number; seed: number }

/** mulberry32: small, fast and repeatable across Node versions (the workload and the property tests use it). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS = ('invoice refund contract clause renewal latency outage pricing onboarding migration quota region '
  + 'warranty liability termination payment schedule account access password export report dashboard alert '
  + 'integration webhook deployment rollback').split(' ');

type Weighted<T> = readonly (readonly [T, number])[];

export function planWorkload(options: WorkloadOptions): PlannedInvocation[] {
  const next = seededRandom(options.seed);
  const pick = <T>(choices: Weighted<T>): T => {
    let r = next() * choices.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, weight] of choices) if ((r -= weight) < 0) return value;
    return choices[choices.length - 1]![0];
  };
  const words = (min: number, max: number): string => {
    const n = min + Math.floor(next() * (max - min + 1));
    return Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  };
  const prices = new PriceBook(BUILT_IN_PRICES);
  const costOf = (model: string, request: Pick<ModelRequest, 'task' | 'input'>): number => {
    const price = prices.lookup(providerOf(model), model)!;
    const usage = usageOf(request);
    return roundUsd(roundUsd((usage.inputTokens * price.input) / 1e6) + roundUsd((usage.outputTokens * price.output) / 1e6));
  };

  const count = Math.max(1, Math.round((options.durationMs / 1000) * options.rate));
  const plan: PlannedInvocation[] = [];
  for (let index = 0; index < count; index++) {
    const fn = pick<SampleName>([['chat', 5], ['summarise', 2.5], ['embed', 2.5]]);
    const { team, task } = SAMPLE_FUNCTIONS[fn];
    const customer = pick<string>([['acme', 4], ['globex', 3], ['initech', 2], ['umbrella', 1]]);
    const fails = next() < 0.04;
    const simulate = fails ? pick<ModelRequest['simulate']>([['overloaded', 3], ['timeout', 1]]) : undefined;
    let model: string;
    let input: string;
    let intent: Intent = fails ? 'provider-error' : 'ok';
    let event: unknown;
    if (fn === 'chat') {
      model = pick([['claude-sonnet-4', 5], ['claude-haiku-4', 3], ['gpt-4o-mini', 2]]);
      const pii = !fails && next() < 0.06;
      input = pii ? `please store my ssn 000-00-0000 with my ${words(2, 6)}` : `${words(6, 90)}?`;
      if (pii) intent = 'policy-block';
      const user = `user-${customer}-${1 + Math.floor(next() * 5)}`;
      event = {
        version: '2.0', routeKey: 'POST /chat', rawPath: '/chat', headers: { 'content-type': 'application/json' },
        requestContext: { http: { method: 'POST', path: '/chat' }, authorizer: { jwt: { claims: { sub: user } } } },
        body: JSON.stringify({ prompt: input, model, customer, feature: 'support-chat', ...(simulate && { simulate }) }), isBase64Encoded: false,
      };
    } else if (fn === 'summarise') {
      model = pick([['claude-haiku-4', 3], ['gemini-2.5-flash', 2]]);
      const long = !fails && next() < 0.08;
      input = long ? words(1_400, 1_600) : words(60, 700);
      if (long) intent = 'policy-block';
      event = { documentId: `doc-${options.seed}-${index}`, customer, text: input, model, ...(simulate && { simulate }) };
    } else {
      model = pick([['text-embedding-3-small', 7], ['amazon.titan-embed-text-v2', 3]]);
      const texts = Array.from({ length: 4 + Math.floor(next() * 28) }, () => words(10, 50));
      input = texts.join('\n');
      event = { customer, texts, model, ...(simulate && { simulate }) };
    }
    plan.push({
      index, atMs: Math.round((index * 1000) / options.rate), fn, team, customer, model, intent,
      expectedCostUsd: intent === 'ok' ? costOf(model, { task, input }) : 0, event,
    });
  }
  return plan;
}
