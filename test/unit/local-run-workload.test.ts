import { describe, expect, it } from 'vitest';
import { parseBudgets } from '../../common/budgets/schema.js';
import { usageOf, type ModelTask } from '../../functions/samples/shared/model.js';
import { BUILT_IN_PRICES } from '../../layers/governance/src/pricing.js';
import { ENFORCED_BUDGET_ID, budgetsFor } from '../../scripts/local-run/budgets.js';
import { CUSTOMERS, SAMPLE_FUNCTIONS, planWorkload, type PlannedInvocation } from '../../scripts/local-run/workload.js';

/** ~400 invocations: enough for every function, team, customer, model and failure mode to appear. */
const PLAN = planWorkload({ durationMs: 40_000, rate: 10, seed: 1 });

/** The price-table key of each model the workload uses, written out here rather than derived. */
const PRICE_KEY: Record<string, string> = {
  'claude-sonnet-4': 'anthropic/claude-sonnet-4',
  'claude-haiku-4': 'anthropic/claude-haiku-4',
  'gpt-4o-mini': 'openai/gpt-4o-mini',
  'gemini-2.5-flash': 'gcp.gemini/gemini-2.5-flash',
  'text-embedding-3-small': 'openai/text-embedding-3-small',
  'amazon.titan-embed-text-v2': 'aws.bedrock/amazon.titan-embed-text-v2',
};

interface ChatEvent { version: string; routeKey: string; requestContext: { http: { method: string; path: string } }; body: string; isBase64Encoded: boolean }
interface ChatBody { prompt: string; model: string; customer: string; simulate?: string }
interface SummariseEvent { documentId: string; customer: string; text: string; model: string; simulate?: string }
interface EmbedEvent { customer: string; texts: string[]; model: string; simulate?: string }

/** The text the sample sends to the model, read from the planned event as the function reads it. */
function inputOf(p: PlannedInvocation): { task: ModelTask; input: string; model: string; customer: string; simulate?: string } {
  if (p.fn === 'chat') {
    const body = JSON.parse((p.event as ChatEvent).body) as ChatBody;
    return { task: 'chat', input: body.prompt, model: body.model, customer: body.customer, ...(body.simulate && { simulate: body.simulate }) };
  }
  if (p.fn === 'summarise') {
    const e = p.event as SummariseEvent;
    return { task: 'summarise', input: e.text, model: e.model, customer: e.customer, ...(e.simulate && { simulate: e.simulate }) };
  }
  const e = p.event as EmbedEvent;
  return { task: 'embed', input: e.texts.join('\n'), model: e.model, customer: e.customer, ...(e.simulate && { simulate: e.simulate }) };
}

const spend = (plan: readonly PlannedInvocation[], keep: (p: PlannedInvocation) => boolean): number =>
  plan.filter(keep).reduce((sum, p) => sum + p.expectedCostUsd, 0);

describe('planWorkload', () => {
  it('is repeatable: the same seed gives the same plan, another seed a different one', () => {
    const options = { durationMs: 5_000, rate: 10, seed: 7 };
    expect(planWorkload(options)).toEqual(planWorkload(options));
    expect(planWorkload({ ...options, seed: 8 })).not.toEqual(planWorkload(options));
  });

  it.each([
    [3_000, 7, 21],
    [20_000, 10, 200],
    [1_000, 1, 1],
    [60_000, 50, 3_000],
  ])('plans duration %i ms × rate %i = %i invocations, indexed in order', (durationMs, rate, count) => {
    const plan = planWorkload({ durationMs, rate, seed: 1 });
    expect(plan).toHaveLength(count);
    expect(plan.map((p) => p.index)).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('spaces invocations 1000/rate ms apart from 0', () => {
    expect(PLAN.map((p) => p.atMs)).toEqual(Array.from({ length: 400 }, (_, i) => i * 100));
    const plan = planWorkload({ durationMs: 10_000, rate: 3, seed: 1 });
    expect(plan[0]!.atMs).toBe(0);
    for (let i = 1; i < plan.length; i++) {
      expect(plan[i]!.atMs).toBeGreaterThan(plan[i - 1]!.atMs);
      expect(Math.abs(plan[i]!.atMs - (i * 1000) / 3)).toBeLessThanOrEqual(0.5);
    }
    expect(plan.at(-1)!.atMs).toBeLessThan(10_000);
  });

  it('covers every sample function, team, customer, several models and both failure modes', () => {
    expect(new Set(PLAN.map((p) => p.fn))).toEqual(new Set(['chat', 'summarise', 'embed']));
    expect(new Set(PLAN.map((p) => p.team))).toEqual(new Set(['support', 'legal', 'search']));
    expect(new Set(PLAN.map((p) => p.customer))).toEqual(new Set(CUSTOMERS));
    expect(new Set(PLAN.map((p) => p.model)).size).toBeGreaterThanOrEqual(5);
    expect(PLAN.some((p) => p.intent === 'provider-error')).toBe(true);
    expect(PLAN.some((p) => p.intent === 'policy-block')).toBe(true);
    expect(PLAN.filter((p) => p.intent === 'ok').length).toBeGreaterThan(PLAN.length / 2);
  });

  it('gives each invocation the team of its function and an event for its customer and model', () => {
    for (const p of PLAN) {
      expect(p.team).toBe(SAMPLE_FUNCTIONS[p.fn].team);
      const sent = inputOf(p);
      expect(sent.customer).toBe(p.customer);
      expect(sent.model).toBe(p.model);
    }
  });

  it('asks the provider to fail exactly the provider-error invocations', () => {
    for (const p of PLAN) {
      const { simulate } = inputOf(p);
      if (p.intent === 'provider-error') expect(['overloaded', 'timeout']).toContain(simulate);
      else expect(simulate).toBeUndefined();
    }
  });

  it('expects no cost for failed or refused calls and a positive one for the others', () => {
    for (const p of PLAN) {
      if (p.intent === 'ok') expect(p.expectedCostUsd).toBeGreaterThan(0);
      else expect(p.expectedCostUsd).toBe(0);
    }
  });

  it('prices each ok call from its tokens and the built-in price table', () => {
    const ok = PLAN.filter((p) => p.intent === 'ok');
    expect(ok.some((p) => p.fn === 'chat')).toBe(true);
    for (const p of ok) {
      const { task, input } = inputOf(p);
      const price = BUILT_IN_PRICES[PRICE_KEY[p.model]!]!;
      const usage = usageOf({ task, input });
      expect(p.expectedCostUsd).toBeCloseTo((usage.inputTokens * price.input) / 1e6 + (usage.outputTokens * price.output) / 1e6, 12);
    }
  });

  it('sends chat calls as API Gateway v2 events with a JSON body', () => {
    const chats = PLAN.filter((p) => p.fn === 'chat');
    expect(chats.length).toBeGreaterThan(0);
    for (const p of chats) {
      const event = p.event as ChatEvent;
      expect(event).toMatchObject({ version: '2.0', routeKey: 'POST /chat', isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/chat' } } });
      const body = JSON.parse(event.body) as ChatBody;
      expect(body).toMatchObject({ model: p.model, customer: p.customer });
      expect(typeof body.prompt).toBe('string');
      expect(body.prompt.length).toBeGreaterThan(0);
    }
  });

  it('makes the chat policy refuse exactly the policy-block prompts (they mention an ssn)', () => {
    const chats = PLAN.filter((p) => p.fn === 'chat');
    expect(chats.some((p) => p.intent === 'policy-block')).toBe(true);
    for (const p of chats) expect(inputOf(p).input.toLowerCase().includes('ssn')).toBe(p.intent === 'policy-block');
  });

  it('makes the summarise size policy (2000 input tokens) refuse exactly the policy-block documents', () => {
    const docs = PLAN.filter((p) => p.fn === 'summarise');
    expect(docs.some((p) => p.intent === 'policy-block')).toBe(true);
    expect(docs.some((p) => p.intent === 'ok')).toBe(true);
    for (const p of docs) {
      const { inputTokens } = usageOf({ task: 'summarise', input: (p.event as SummariseEvent).text });
      if (p.intent === 'policy-block') expect(inputTokens).toBeGreaterThan(2_000);
      else expect(inputTokens).toBeLessThanOrEqual(2_000);
    }
  });
});

describe('budgetsFor', () => {
  const budgets = budgetsFor(PLAN);
  const limit = (id: string): number => budgets.find((b) => b.id === id)!.limitUsd;

  it('sizes support-daily so the plan spends about 130 % of it', () => {
    const pct = (100 * spend(PLAN, (p) => p.team === 'support')) / limit('support-daily');
    expect(Math.abs(pct / 130 - 1)).toBeLessThan(0.01);
  });

  it('sizes acme-monthly to about 70 % and legal-monthly to about 40 %', () => {
    const acme = (100 * spend(PLAN, (p) => p.customer === 'acme')) / limit('acme-monthly');
    const legal = (100 * spend(PLAN, (p) => p.team === 'legal')) / limit('legal-monthly');
    expect(Math.abs(acme / 70 - 1)).toBeLessThan(0.01);
    expect(Math.abs(legal / 40 - 1)).toBeLessThan(0.01);
  });

  it('matches each budget on the spend it is sized to', () => {
    expect(budgets.map((b) => [b.id, b.match])).toEqual([
      ['support-daily', { team: 'support' }],
      ['acme-monthly', { customer_id: 'acme' }],
      ['legal-monthly', { team: 'legal' }],
    ]);
  });

  it('produces definitions the budget schema accepts, including the enforced one', () => {
    const parsed = parseBudgets(budgets, 'local run');
    expect(parsed.map((b) => b.id)).toEqual(budgets.map((b) => b.id));
    expect(budgets.map((b) => b.id)).toContain(ENFORCED_BUDGET_ID);
  });

  it('never sets a zero limit, even for a plan that spends nothing', () => {
    const refusedOnly = PLAN.filter((p) => p.intent !== 'ok');
    const empty = budgetsFor(refusedOnly);
    for (const b of empty) expect(b.limitUsd).toBeGreaterThan(0);
    expect(() => parseBudgets(empty, 'local run')).not.toThrow();
  });
});
