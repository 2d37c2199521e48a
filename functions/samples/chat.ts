/**
 * A governed sample function: an API Gateway (HTTP API) chat endpoint that retrieves context, applies a
 * content policy, calls a (simulated) model and records tokens and cost. The model is simulated so the
 * sample runs anywhere; token counts follow the prompt's length so costs are realistic and repeatable.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { governance, withGovernance } from 'lambda-governance';

interface ChatRequest { prompt?: string; model?: string; customer?: string; feature?: string }

const BLOCKED_TERMS = ['ssn', 'credit card number'];

async function simulatedModel(prompt: string): Promise<{ text: string; inputTokens: number; outputTokens: number }> {
  const inputTokens = Math.ceil(prompt.length / 4) + 120; // system prompt included
  const outputTokens = 40 + (prompt.length % 97);
  await new Promise((resolve) => setTimeout(resolve, 2));
  return { text: `(${outputTokens} tokens of answer)`, inputTokens, outputTokens };
}

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
  if (blocked) return { statusCode: 422, body: JSON.stringify({ error: 'prompt refused by policy pii-filter' }) };

  const answer = await governance.span(`chat ${model}`, async () => {
    const result = await simulatedModel(prompt);
    const provider = model.startsWith('gpt') ? 'openai' : 'anthropic';
    governance.recordCost({ provider, model, inputTokens: result.inputTokens, outputTokens: result.outputTokens });
    return result;
  }, { kind: 2 /* CLIENT */ });
  return { statusCode: 200, body: JSON.stringify({ answer: answer.text }) };
}, { team: 'ai-eng', project: 'support-bot', extract: { user_id: 'claim:sub' } });
