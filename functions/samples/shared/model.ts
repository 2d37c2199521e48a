/**
 * A simulated model provider for the samples, so they run anywhere without keys. Token counts follow the
 * input's length, so costs are realistic and repeatable; `simulate` makes the provider fail the way real
 * ones do (overloaded, timed out), before any token is billed.
 */
export type ModelTask = 'chat' | 'summarise' | 'embed';

export interface ModelRequest {
  model: string;
  task: ModelTask;
  input: string;
  simulate?: 'overloaded' | 'timeout';
}

export interface ModelResponse {
  provider: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
}

export class ProviderError extends Error {
  public override readonly name = 'ProviderError';
  public constructor(message: string, public readonly status: number) {
    super(message);
  }
}

/** Tokens a system prompt adds to every call of a task. */
const SYSTEM_TOKENS: Record<ModelTask, number> = { chat: 120, summarise: 60, embed: 0 };

export function providerOf(model: string): string {
  if (model.startsWith('gpt') || model.startsWith('text-embedding')) return 'openai';
  if (model.startsWith('gemini')) return 'gcp.gemini';
  if (model.startsWith('amazon.')) return 'aws.bedrock';
  return 'anthropic';
}

/** What the provider bills for a request: about four characters per input token. */
export function usageOf(request: Pick<ModelRequest, 'task' | 'input'>): { inputTokens: number; outputTokens: number } {
  const inputTokens = Math.ceil(request.input.length / 4) + SYSTEM_TOKENS[request.task];
  const outputTokens = request.task === 'embed' ? 0
    : request.task === 'summarise' ? Math.min(400, Math.ceil(inputTokens / 8) + 30)
      : 40 + (request.input.length % 97);
  return { inputTokens, outputTokens };
}

export async function callModel(request: ModelRequest): Promise<ModelResponse> {
  const provider = providerOf(request.model);
  await new Promise((resolve) => setTimeout(resolve, 2));
  if (request.simulate === 'overloaded') throw new ProviderError(`${provider} ${request.model}: 529 overloaded, try again later`, 529);
  if (request.simulate === 'timeout') throw new ProviderError(`${provider} ${request.model}: no response within 30 s`, 504);
  const usage = usageOf(request);
  return { provider, text: `(${usage.outputTokens} tokens of ${request.task})`, ...usage };
}
