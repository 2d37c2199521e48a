/** Validates withGovernance()/middleware options strictly: an unknown key is a typo and fails at init. */
import { KNOWN_OPTION_KEYS, parseExtractRules, parsePriceTable } from './config.js';
import { ConfigurationError } from './errors.js';
import type { GovernanceRuntime, ResolvedOptions } from './runtime.js';
import type { ExtractRules, GovernanceContext, GovernanceOptions } from './types.js';

function nonEmpty(rules: ExtractRules): ExtractRules | undefined {
  return Object.keys(rules).length > 0 ? rules : undefined;
}

export function resolveOptions(runtime: GovernanceRuntime, options: GovernanceOptions | undefined, caller: string): ResolvedOptions {
  if (options === undefined) return { fields: {}, extract: nonEmpty(runtime.config.extract), prices: runtime.prices };
  if (options === null || typeof options !== 'object') throw new ConfigurationError(caller, 'options must be an object');
  const fields: GovernanceContext = {};
  for (const [key, value] of Object.entries(options)) {
    if (!KNOWN_OPTION_KEYS.has(key)) {
      throw new ConfigurationError(`${caller} option "${key}"`, `is not a known option; expected one of ${[...KNOWN_OPTION_KEYS].join(', ')}`);
    }
    if (key === 'extract' || key === 'prices' || key === 'spanName' || value === undefined) continue;
    if (typeof value !== 'string' || value === '' || value.length > runtime.config.limits.maxValueLength) {
      throw new ConfigurationError(`${caller} option "${key}"`, `must be a non-empty string of at most ${runtime.config.limits.maxValueLength} characters`);
    }
    fields[key] = value;
  }
  if (options.spanName !== undefined && (typeof options.spanName !== 'string' || options.spanName === '')) {
    throw new ConfigurationError(`${caller} option "spanName"`, 'must be a non-empty string');
  }
  const resolved: ResolvedOptions = {
    fields,
    extract: nonEmpty(options.extract === undefined
      ? runtime.config.extract
      : { ...runtime.config.extract, ...parseExtractRules(`${caller} option "extract"`, options.extract as Record<string, unknown>) }),
    prices: options.prices === undefined ? runtime.prices : runtime.prices.withOverrides(parsePriceTable(`${caller} option "prices"`, options.prices)),
  };
  if (options.spanName !== undefined) resolved.spanName = options.spanName;
  return resolved;
}
