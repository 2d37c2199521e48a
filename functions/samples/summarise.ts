/**
 * A governed sample function: a document-summarising task invoked directly (by a queue consumer or a state
 * machine). A size policy refuses documents too long for one call before any token is spent.
 */
import { governance, withGovernance } from 'lambda-governance';
import { callModel, usageOf, type ModelRequest } from './shared/model.js';

export interface SummariseRequest { documentId: string; customer: string; text: string; model?: string; simulate?: ModelRequest['simulate'] }

export type SummariseResult =
  | { status: 'summarised'; documentId: string; summary: string; usage: { model: string; inputTokens: number; outputTokens: number; costUsd: number } }
  | { status: 'refused'; documentId: string; reason: string };

const MAX_INPUT_TOKENS = 2_000;

export const handler = withGovernance(async (request: SummariseRequest): Promise<SummariseResult> => {
  const model = request.model ?? 'claude-haiku-4';
  governance.set({ customer_id: request.customer, feature: 'summarise', transaction_id: request.documentId });

  const { inputTokens } = usageOf({ task: 'summarise', input: request.text });
  const tooLong = inputTokens > MAX_INPUT_TOKENS;
  governance.recordPolicy({
    name: 'document-size', result: tooLong ? 'blocked' : 'allowed',
    ...(tooLong && { reason: `${inputTokens} input tokens is over the ${MAX_INPUT_TOKENS} allowed` }),
  });
  if (tooLong) return { status: 'refused', documentId: request.documentId, reason: 'document too long for one call' };

  return governance.span(`summarise ${model}`, async () => {
    const answer = await callModel({ model, task: 'summarise', input: request.text, ...(request.simulate && { simulate: request.simulate }) });
    const cost = governance.recordCost({ provider: answer.provider, model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, operation: 'summarise' });
    return {
      status: 'summarised' as const, documentId: request.documentId, summary: answer.text,
      usage: { model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, costUsd: cost?.totalCost ?? 0 },
    };
  }, { kind: 2 /* CLIENT */ });
});
