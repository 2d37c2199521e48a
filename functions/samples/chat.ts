/**
 * A governed sample function: an API Gateway (HTTP API) chat endpoint that retrieves context, applies a
 * content policy, checks its team's budget (when CHAT_BUDGET_ID is set), calls a model and records tokens
 * and cost. The answer carries the call's usage, as model APIs do.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { BudgetExceededError, governance, withGovernance } from 'lambda-governance';
import { callModel, type ModelRequest } from './shared/model.js';

interface ChatRequest { prompt?: string; model?: string; customer?: string; feature?: string; simulate?: ModelRequest['simulate'] }

const BLOCKED_TERMS = ['ssn', 'credit card number'];
const BUDGET_ID = process.env.CHAT_BUDGET_ID;

const reply = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const handler = withGovernance(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const request = JSON.parse(event.body ?? '{}') as ChatRequest;
  const prompt = request.prompt ?? '';
  const model = request.model ?? 'claude-sonnet-4';
  governance.set({ ...(request.customer && { customer_id: request.customer }), ...(request.feature && { feature: request.feature }) });

  await governance.span('retrieve context', async (span) => {
    span.setAttribute('retrieval.documents', 3);
    await new Promise((resolve) => setTimeout(resolve, 1));
  });

  const started = performance.now();
  const blocked = BLOCKED_TERMS.find((term) => prompt.toLowerCase().includes(term));
  governance.recordPolicy({
    name: 'pii-filter', result: blocked ? 'blocked' : 'allowed',
    ...(blocked && { reason: `prompt mentions ${blocked}` }), responseTimeMs: performance.now() - started,
  });
  if (blocked) return reply(422, { error: 'prompt refused by policy pii-filter' });

  if (BUDGET_ID) {
    try {
      await governance.checkBudget(BUDGET_ID);
    } catch (error) {
      if (error instanceof BudgetExceededError) return reply(429, { error: `budget ${BUDGET_ID} is exhausted` });
      throw error;
    }
  }

  return governance.span(`chat ${model}`, async () => {
    const answer = await callModel({ model, task: 'chat', input: prompt, ...(request.simulate && { simulate: request.simulate }) });
    const cost = governance.recordCost({ provider: answer.provider, model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens });
    return reply(200, { answer: answer.text, usage: { model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, costUsd: cost?.totalCost ?? 0 } });
  }, { kind: 2 /* CLIENT */ });
}, { extract: { user_id: 'claim:sub' } });
