import { describe, expect, it } from 'vitest';
import { ConfigurationError, type Env } from '../../common/env.js';
import { US_API_HOST } from '../../common/honeycomb/types.js';
import { DEFAULT_OPTIONS, parseStartArgs, readHoneycombTarget } from '../../scripts/local-run/options.js';

function errorOf(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('accepted a bad setting');
}

describe('parseStartArgs', () => {
  it('uses the documented defaults when no option is given', () => {
    expect(parseStartArgs([])).toEqual({
      durationMs: 20_000, rate: 10, concurrency: 2, sampleRate: 4, budgetIntervalMs: 5_000, malformed: 1, seed: 1,
    });
    expect(parseStartArgs([])).toEqual(DEFAULT_OPTIONS);
    expect(parseStartArgs([])).not.toHaveProperty('reportFile');
  });

  it.each([
    [['--duration', '3'], { durationMs: 3_000 }],
    [['--duration=3600'], { durationMs: 3_600_000 }],
    [['--rate', '25'], { rate: 25 }],
    [['--concurrency', '16'], { concurrency: 16 }],
    [['--sample-rate', '1'], { sampleRate: 1 }],
    [['--budget-interval', '2'], { budgetIntervalMs: 2_000 }],
    [['--malformed', '0'], { malformed: 0 }],
    [['--seed', '42'], { seed: 42 }],
  ])('parses %j', (argv, expected) => {
    expect(parseStartArgs(argv)).toEqual({ ...DEFAULT_OPTIONS, ...expected });
  });

  it('parses several options together, seconds turned into milliseconds', () => {
    expect(parseStartArgs(['--duration', '5', '--rate', '3', '--budget-interval', '1', '--seed', '0'])).toMatchObject({
      durationMs: 5_000, rate: 3, budgetIntervalMs: 1_000, seed: 0,
    });
  });

  it.each([
    [['--duration', '0'], '--duration'],
    [['--duration', '3601'], '--duration'],
    [['--duration', '1.5'], '--duration'],
    [['--rate', 'fast'], '--rate'],
    [['--rate', '501'], '--rate'],
    [['--rate=-1'], '--rate'],
    [['--concurrency', '17'], '--concurrency'],
    [['--sample-rate', '0'], '--sample-rate'],
    [['--budget-interval', '301'], '--budget-interval'],
    [['--malformed', '101'], '--malformed'],
    [['--seed', 'abc'], '--seed'],
    // parseArgs' own refusals name the option too: a value that looks like an option, a missing value.
    [['--rate', '-1'], '--rate'],
    [['--duration'], '--duration'],
  ])('rejects %j naming %s', (argv, setting) => {
    const error = errorOf(() => parseStartArgs(argv));
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^${setting}: `));
  });

  it('rejects an unknown option with a "did you mean"', () => {
    const error = errorOf(() => parseStartArgs(['--durration', '5']));
    expect(error.setting).toBe('--durration');
    expect(error.message).toContain('did you mean --duration');
  });

  it('rejects a positional argument', () => {
    expect(() => parseStartArgs(['20'])).toThrow(ConfigurationError);
  });

  it('returns undefined for --help, whatever else is given', () => {
    expect(parseStartArgs(['--help'])).toBeUndefined();
    expect(parseStartArgs(['--rate', '3', '--help'])).toBeUndefined();
  });

  it('sets reportFile from --report', () => {
    expect(parseStartArgs(['--report', 'f.json'])).toEqual({ ...DEFAULT_OPTIONS, reportFile: 'f.json' });
  });
});

describe('readHoneycombTarget', () => {
  const US = US_API_HOST.replace(/\/$/, '');

  it('uses the local stand-in with dataset genops-ai when no key or secret is set', () => {
    expect(readHoneycombTarget({})).toEqual({ kind: 'stand-in', dataset: 'genops-ai' });
    expect(readHoneycombTarget({ HONEYCOMB_API_KEY: '  ' })).toEqual({ kind: 'stand-in', dataset: 'genops-ai' });
  });

  it('honours HONEYCOMB_DATASET with the stand-in', () => {
    expect(readHoneycombTarget({ HONEYCOMB_DATASET: 'my-runs' })).toEqual({ kind: 'stand-in', dataset: 'my-runs' });
  });

  it('ships to Honeycomb with HONEYCOMB_API_KEY, the configuration key and the host without a trailing slash', () => {
    const env: Env = { HONEYCOMB_API_KEY: 'ingest', HONEYCOMB_CONFIG_KEY: 'config', HONEYCOMB_API_HOST: 'https://api.eu1.honeycomb.io/', HONEYCOMB_DATASET: 'prod-ai' };
    expect(readHoneycombTarget(env)).toEqual({
      kind: 'honeycomb', apiHost: 'https://api.eu1.honeycomb.io', dataset: 'prod-ai', apiKey: 'ingest', configKey: 'config',
    });
  });

  it('defaults to the US API host and dataset genops-ai', () => {
    expect(US).toBe('https://api.honeycomb.io');
    expect(readHoneycombTarget({ HONEYCOMB_API_KEY: 'ingest' })).toEqual({ kind: 'honeycomb', apiHost: US, dataset: 'genops-ai', apiKey: 'ingest' });
  });

  it('reads the keys from a secret with HONEYCOMB_SECRET', () => {
    expect(readHoneycombTarget({ HONEYCOMB_SECRET: 'honeycomb/keys' })).toEqual({
      kind: 'honeycomb', apiHost: US, dataset: 'genops-ai', secretId: 'honeycomb/keys',
    });
  });

  it('refuses both a key and a secret, naming HONEYCOMB_API_KEY', () => {
    const error = errorOf(() => readHoneycombTarget({ HONEYCOMB_API_KEY: 'ingest', HONEYCOMB_SECRET: 'honeycomb/keys' }));
    expect(error.setting).toBe('HONEYCOMB_API_KEY');
  });

  it('refuses a configuration key without an API key, naming HONEYCOMB_CONFIG_KEY', () => {
    const error = errorOf(() => readHoneycombTarget({ HONEYCOMB_CONFIG_KEY: 'config' }));
    expect(error.setting).toBe('HONEYCOMB_CONFIG_KEY');
  });

  it('refuses an invalid API host, naming HONEYCOMB_API_HOST', () => {
    expect(errorOf(() => readHoneycombTarget({ HONEYCOMB_API_KEY: 'ingest', HONEYCOMB_API_HOST: 'api.honeycomb.io' })).setting).toBe('HONEYCOMB_API_HOST');
  });
});
