/**
 * Cost from tokens. Prices are USD per million tokens, looked up by `provider/model`, then `model`, then the
 * longest configured prefix (so `claude-sonnet-4-5-20250929` finds `anthropic/claude-sonnet-4-5`).
 * The built-in figures are list prices at the time of writing; override them with GOVERNANCE_PRICES or the
 * wrapper's `prices` option.
 */
import type { ModelPrice, PriceTable } from './types.js';

export const BUILT_IN_PRICES: PriceTable = {
  'anthropic/claude-opus-4': { input: 15, output: 75 },
  'anthropic/claude-sonnet-4': { input: 3, output: 15 },
  'anthropic/claude-sonnet': { input: 3, output: 15 },
  'anthropic/claude-haiku-4': { input: 1, output: 5 },
  'anthropic/claude-haiku': { input: 0.8, output: 4 },
  'openai/gpt-4o': { input: 2.5, output: 10 },
  'openai/gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai/gpt-4.1': { input: 2, output: 8 },
  'openai/gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai/text-embedding-3-small': { input: 0.02, output: 0 },
  'openai/text-embedding-3-large': { input: 0.13, output: 0 },
  'aws.bedrock/amazon.titan-embed-text-v2': { input: 0.02, output: 0 },
  'aws.bedrock/anthropic.claude-sonnet-4': { input: 3, output: 15 },
  'gcp.gemini/gemini-2.5-pro': { input: 1.25, output: 10 },
  'gcp.gemini/gemini-2.5-flash': { input: 0.3, output: 2.5 },
};

export class PriceBook {
  private readonly table: PriceTable;
  private readonly keys: string[];
  private readonly cache = new Map<string, ModelPrice | undefined>();

  public constructor(...tables: PriceTable[]) {
    this.table = {};
    for (const t of tables) for (const [k, v] of Object.entries(t)) this.table[k.toLowerCase()] = v;
    this.keys = Object.keys(this.table).sort((a, b) => b.length - a.length);
  }

  public withOverrides(overrides: PriceTable | undefined): PriceBook {
    return overrides && Object.keys(overrides).length > 0 ? new PriceBook(this.table, overrides) : this;
  }

  public lookup(provider: string, model: string): ModelPrice | undefined {
    const full = `${provider}/${model}`.toLowerCase();
    if (this.cache.has(full)) return this.cache.get(full);
    const bare = model.toLowerCase();
    let price = this.table[full] ?? this.table[bare];
    if (!price) {
      const key = this.keys.find((k) => full.startsWith(k) || bare.startsWith(k));
      price = key === undefined ? undefined : this.table[key];
    }
    this.cache.set(full, price);
    return price;
  }
}

/** Rounds to 1e-9 USD so sums of many small costs stay exact enough for ledgers. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
