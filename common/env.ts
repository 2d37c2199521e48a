/**
 * Reading settings from the environment, shared by the layer and the functions: each reader validates one
 * variable and throws a ConfigurationError naming it, so a wrong setting fails at init with a clear message.
 */
export type Env = Record<string, string | undefined>;

/** A setting (environment variable or option) is wrong. Thrown at init, never at run time. */
export class ConfigurationError extends Error {
  public readonly setting: string;
  public constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

export function str(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigurationError(key, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigurationError(key, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function bool(env: Env, key: string): boolean {
  const raw = str(env, key)?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigurationError(key, `must be true or false, got "${raw}"`);
}

export function oneOf<T extends string>(env: Env, key: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigurationError(key, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

export function url(setting: string, raw: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (error) {
    throw new ConfigurationError(setting, `is not a valid URL: "${raw}"`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigurationError(setting, `must be an http(s) URL, got "${parsed.protocol}"`);
  }
  return parsed;
}

export function float(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) throw new ConfigurationError(key, `must be a number, got "${raw}"`);
  if (value < min || value > max) throw new ConfigurationError(key, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Rejects variables that start with `prefix` but are not known: a typo fails at init instead of being ignored. */
export function rejectUnknown(env: Env, prefix: string, known: ReadonlySet<string>, isAllowed: (key: string) => boolean = () => false): void {
  for (const key of Object.keys(env)) {
    if (!key.startsWith(prefix) || known.has(key) || isAllowed(key)) continue;
    throw new ConfigurationError(key, 'is not a known setting (a typo?). See the configuration table in the README');
  }
}
