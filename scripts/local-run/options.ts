/**
 * `npm start` options and where the data goes, read once before anything starts: a wrong value fails with a
 * message naming the option or variable, and an unknown option gets a "did you mean".
 */
import { parseArgs } from 'node:util';
import { ConfigurationError, int, str, type Env } from '../../common/env.js';
import { readHoneycombSettings } from '../../common/honeycomb/settings.js';
import { closestKey } from '../../common/suggest.js';

export interface LocalRunOptions {
  /** How long the load runs, in ms. */
  durationMs: number;
  /** Invocations per second across the three sample functions. */
  rate: number;
  /** Execution environments per sample function (how many of its invocations run at once). */
  concurrency: number;
  /** The aggregator keeps one ordinary trace in this many (errors, blocks and costly calls always). */
  sampleRate: number;
  /** How often the budget function runs (its EventBridge schedule, compressed). */
  budgetIntervalMs: number;
  /** Malformed records a misbehaving producer puts on the stream, to show the dead-letter queue at work. */
  malformed: number;
  seed: number;
  /** Writes the summary as JSON to this file. */
  reportFile?: string;
}

/** Real Honeycomb: a key (HONEYCOMB_API_KEY, with HONEYCOMB_CONFIG_KEY for markers) or a Secrets Manager secret. */
export type HoneycombTarget =
  | { kind: 'stand-in'; dataset: string }
  | { kind: 'honeycomb'; apiHost: string; dataset: string; apiKey?: string; configKey?: string; secretId?: string };

/** Calls costing at least this much are always kept by the aggregator's sampler (AGGREGATOR_KEEP_COST_USD). */
export const KEEP_COST_USD = 0.05;

export const DEFAULT_OPTIONS: LocalRunOptions = {
  durationMs: 20_000, rate: 10, concurrency: 2, sampleRate: 4, budgetIntervalMs: 5_000, malformed: 1, seed: 1,
};

const FLAGS = {
  duration: 'seconds the load runs (default 20)',
  rate: 'invocations per second (default 10)',
  concurrency: 'execution environments per sample function (default 2)',
  'sample-rate': 'the aggregator keeps 1 ordinary trace in N; errors, blocks and costly calls always (default 4)',
  'budget-interval': 'seconds between budget function runs (default 5)',
  malformed: 'malformed records put on the stream to show the dead-letter queue (default 1)',
  seed: 'seed of the generated workload (default 1)',
  report: 'also write the summary as JSON to this file',
  help: 'show this help',
} as const;

export const USAGE = `npm start -- [options]

Runs the whole pipeline on 127.0.0.1: the sample functions under the local Lambda runtime, Kinesis, the
aggregator, the budget ledger and function, and Honeycomb (a local stand-in, or your team's with
HONEYCOMB_API_KEY or HONEYCOMB_SECRET set). Ctrl-C stops everything it started.

${Object.entries(FLAGS).map(([flag, text]) => `  --${flag.padEnd(16)} ${text}`).join('\n')}
`;

/** Parses argv; returns undefined for --help. */
export function parseStartArgs(argv: readonly string[]): LocalRunOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: flag === 'help' ? 'boolean' : 'string' }])) as never,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    // parseArgs names the option it refused ("Unknown option '--x'", "Option '--rate' argument is ambiguous").
    const option = /option '(-{1,2}[^'= ]+)/i.exec((error as Error).message)?.[1];
    const closest = option && !(option.replace(/^-+/, '') in FLAGS) ? closestKey(option.replace(/^-+/, ''), Object.keys(FLAGS)) : undefined;
    throw new ConfigurationError(option ?? 'arguments', `${(error as Error).message}${closest ? ` (did you mean --${closest}?)` : ''}`, { cause: error });
  }
  if (values.help) return undefined;
  const env: Env = Object.fromEntries(Object.entries(values).map(([k, v]) => [`--${k}`, typeof v === 'string' ? v : undefined]));
  const d = DEFAULT_OPTIONS;
  const reportFile = str(env, '--report');
  return {
    durationMs: int(env, '--duration', d.durationMs / 1000, 1, 3_600) * 1000,
    rate: int(env, '--rate', d.rate, 1, 500),
    concurrency: int(env, '--concurrency', d.concurrency, 1, 16),
    sampleRate: int(env, '--sample-rate', d.sampleRate, 1, 1_000),
    budgetIntervalMs: int(env, '--budget-interval', d.budgetIntervalMs / 1000, 1, 300) * 1000,
    malformed: int(env, '--malformed', d.malformed, 0, 100),
    seed: int(env, '--seed', d.seed, 0, 2 ** 31),
    ...(reportFile && { reportFile }),
  };
}

/** The local stand-in unless a Honeycomb key or secret is set; the settings are checked as the functions check them. */
export function readHoneycombTarget(env: Env): HoneycombTarget {
  if (str(env, 'HONEYCOMB_API_KEY') === undefined && str(env, 'HONEYCOMB_SECRET') === undefined) {
    if (str(env, 'HONEYCOMB_CONFIG_KEY') !== undefined) throw new ConfigurationError('HONEYCOMB_CONFIG_KEY', 'is set without HONEYCOMB_API_KEY; set both to ship to Honeycomb');
    return { kind: 'stand-in', dataset: str(env, 'HONEYCOMB_DATASET') ?? 'genops-ai' };
  }
  const settings = readHoneycombSettings(env, 300_000);
  return {
    kind: 'honeycomb', apiHost: settings.apiHost.href.replace(/\/$/, ''), dataset: settings.dataset,
    ...(settings.apiKey && { apiKey: settings.apiKey }), ...(settings.configKey && { configKey: settings.configKey }),
    ...(settings.secretId && { secretId: settings.secretId }),
  };
}
