/**
 * A governed sample function: embeds a batch of texts for a customer's search index, one model call per
 * batch, recorded as an `embeddings` operation.
 */
import { governance, withGovernance } from 'lambda-governance';
import { callModel, type ModelRequest } from './shared/model.js';

export interface EmbedRequest { customer: string; texts: string[]; model?: string; simulate?: ModelRequest['simulate'] }

export interface EmbedResult { vectors: number; usage: { model: string; inputTokens: number; outputTokens: number; costUsd: number } }

export const handler = withGovernance(async (request: EmbedRequest): Promise<EmbedResult> => {
  const model = request.model ?? 'text-embedding-3-small';
  governance.set({ customer_id: request.customer, feature: 'search-index' });
  return governance.span(`embeddings ${model}`, async (span) => {
    span.setAttribute('embeddings.batch_size', request.texts.length);
    const answer = await callModel({ model, task: 'embed', input: request.texts.join('\n'), ...(request.simulate && { simulate: request.simulate }) });
    const cost = governance.recordCost({ provider: answer.provider, model, inputTokens: answer.inputTokens, outputTokens: 0, operation: 'embeddings' });
    return { vectors: request.texts.length, usage: { model, inputTokens: answer.inputTokens, outputTokens: 0, costUsd: cost?.totalCost ?? 0 } };
  }, { kind: 2 /* CLIENT */ });
});
