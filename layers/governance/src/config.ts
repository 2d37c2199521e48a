/**
 * Configuration, read once at init from the environment and validated. Any wrong static setting throws one
 * ConfigurationError naming the variable, so a misconfigured function fails at init, not at 3 a.m.
 * Precedence everywhere: wrapper option → environment → default.
 */
import { bool, ConfigurationError, int, oneOf, rejectUnknown, str, url, type Env } from '../../../common/env.js';
import { GOVERNANCE_FIELDS, RESERVED_FIELD_ROOTS } from './semconv.js';
import type { ExtractRule, ExtractRules, GovernanceContext, PriceTable } from './types.js';

export type ExporterKind = 'kinesis' | 'otlp';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpConfig {
  endpoint: URL;
  protocol: OtlpProtocol;
  compression: 'gzip' | 'none';
  /** From OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS (the latter wins). */
  headers: Record<string, string>;
  apiKey?: string;
  apiKeySecret?: string;
  dataset?: string;
  secretTtlMs: number;
}

export interface KinesisConfig { streamName: string }

/** The opt-in budget check (governance.checkBudget): where budgets are counted and how strictly to act. */
export interface BudgetCheckConfig {
  /** The ledger table the pipeline counts budget spend in. */
  table: string;
  /** Throw BudgetExceededError when a budget is exhausted (otherwise only record the decision). */
  enforce: boolean;
  /** How long a budget's status is reused before it is read again. */
  cacheMs: number;
  /** Utilization from which the result is `warning`; by default the budget's highest threshold under 100. */
  warnPct?: number;
  /** Deadline of the status read; past it the check fails open with a warning. */
  timeoutMs: number;
}

export interface AttributeLimits { maxAttributes: number; maxKeyLength: number; maxValueLength: number }

export interface GovernanceConfig {
  enabled: boolean;
  exporter: ExporterKind;
  serviceName: string;
  region?: string;
  flushTimeoutMs: number;
  flushMarginMs: number;
  maxQueuedSpans: number;
  maxCarryOverSpans: number;
  limits: AttributeLimits;
  redactPatterns: RegExp[];
  defaults: GovernanceContext;
  extract: ExtractRules;
  prices: PriceTable;
  resourceAttributes: Record<string, string>;
  kinesis?: KinesisConfig;
  otlp?: OtlpConfig;
  budget?: BudgetCheckConfig;
}

export const HONEYCOMB_US_TRACES_ENDPOINT = 'https://api.honeycomb.io/v1/traces';

/** Redacted by default: credentials that instrumentations sometimes put on spans. */
const DEFAULT_REDACT = ['*authorization*', '*password*', '*passwd*', '*secret*', '*api_key*', '*apikey*', '*cookie*', '*x-honeycomb-team*'];

const KNOWN_GOVERNANCE_VARS = new Set([
  'GOVERNANCE_EXPORTER', 'GOVERNANCE_STREAM_NAME', 'GOVERNANCE_FLUSH_TIMEOUT_MS', 'GOVERNANCE_FLUSH_MARGIN_MS',
  'GOVERNANCE_MAX_QUEUED_SPANS', 'GOVERNANCE_MAX_CARRYOVER_SPANS', 'GOVERNANCE_MAX_ATTRIBUTES',
  'GOVERNANCE_MAX_KEY_LENGTH', 'GOVERNANCE_MAX_VALUE_LENGTH', 'GOVERNANCE_REDACT_KEYS', 'GOVERNANCE_PRICES',
  'GOVERNANCE_EXTRACT', 'GOVERNANCE_DISABLED', 'GOVERNANCE_SECRET_TTL_SECONDS',
  'GOVERNANCE_TEAM', 'GOVERNANCE_PROJECT', 'GOVERNANCE_ENVIRONMENT',
  'GOVERNANCE_BUDGET_TABLE', 'GOVERNANCE_BUDGET_ENFORCE', 'GOVERNANCE_BUDGET_CACHE_SECONDS', 'GOVERNANCE_BUDGET_WARN_PCT',
  'GOVERNANCE_BUDGET_TIMEOUT_MS',
]);
const CONTEXT_VAR_PREFIX = 'GOVERNANCE_CONTEXT_';
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** W3C-baggage-style `k=v,k2=v2`, values percent-decoded, as the OTel spec defines for OTEL_*_HEADERS. */
export function parseKeyValueList(setting: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigurationError(setting, `entry "${part.trim().split('=')[0]}" is not key=value`);
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch (error) {
      throw new ConfigurationError(setting, 'holds an invalid percent-encoding', { cause: error });
    }
  }
  return out;
}

/** Validates a context field name: lower_snake_case, not shadowing a recorder namespace. */
export function isValidFieldName(name: string): boolean {
  return FIELD_NAME.test(name) && !(RESERVED_FIELD_ROOTS as readonly string[]).includes(name);
}

export function parseExtractRules(setting: string, rules: Record<string, unknown>): ExtractRules {
  const out: ExtractRules = {};
  for (const [field, rule] of Object.entries(rules)) {
    if (!isValidFieldName(field)) throw new ConfigurationError(setting, `"${field}" is not a valid context field name`);
    if (typeof rule !== 'string' || !/^(header|claim|path):.+$/.test(rule)) {
      throw new ConfigurationError(setting, `rule for "${field}" must be header:<name>, claim:<name> or path:<dot.path>`);
    }
    out[field] = rule as ExtractRule;
  }
  return out;
}

export function parsePriceTable(setting: string, table: unknown): PriceTable {
  if (table === null || typeof table !== 'object' || Array.isArray(table)) {
    throw new ConfigurationError(setting, 'must be an object of { "<provider>/<model>": { "input": usdPerMTok, "output": usdPerMTok } }');
  }
  const out: PriceTable = {};
  for (const [model, price] of Object.entries(table as Record<string, unknown>)) {
    const p = price as { input?: unknown; output?: unknown } | null;
    const valid = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (p === null || typeof p !== 'object' || !valid(p.input) || !valid(p.output)) {
      throw new ConfigurationError(setting, `price for "${model}" needs non-negative numbers "input" and "output" (USD per million tokens)`);
    }
    out[model.toLowerCase()] = { input: p.input, output: p.output };
  }
  return out;
}

function json(env: Env, key: string): unknown {
  const raw = str(env, key);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(key, 'is not valid JSON', { cause: error });
  }
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.trim().toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function readDefaults(env: Env): GovernanceContext {
  const defaults: GovernanceContext = {};
  const team = str(env, 'GOVERNANCE_TEAM');
  const project = str(env, 'GOVERNANCE_PROJECT');
  const environment = str(env, 'GOVERNANCE_ENVIRONMENT');
  if (team) defaults.team = team;
  if (project) defaults.project = project;
  if (environment) defaults.environment = environment;
  for (const key of Object.keys(env)) {
    if (!key.startsWith(CONTEXT_VAR_PREFIX)) continue;
    const field = key.slice(CONTEXT_VAR_PREFIX.length).toLowerCase();
    if (!isValidFieldName(field)) throw new ConfigurationError(key, `"${field}" is not a valid context field name`);
    const value = str(env, key);
    if (value !== undefined) defaults[field] = value;
  }
  return defaults;
}

function readOtlp(env: Env): OtlpConfig {
  const tracesEndpoint = str(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = str(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  let endpoint: URL;
  if (tracesEndpoint) endpoint = url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint);
  else if (baseEndpoint) endpoint = url('OTEL_EXPORTER_OTLP_ENDPOINT', `${baseEndpoint.replace(/\/+$/, '')}/v1/traces`);
  else endpoint = new URL(HONEYCOMB_US_TRACES_ENDPOINT);

  const protocolKey = str(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = oneOf(env, protocolKey, ['http/protobuf', 'http/json'] as const, 'http/protobuf');
  const compressionKey = str(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ? 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION' : 'OTEL_EXPORTER_OTLP_COMPRESSION';
  const compression = oneOf(env, compressionKey, ['gzip', 'none'] as const, 'none');
  const headers = {
    ...parseKeyValueList('OTEL_EXPORTER_OTLP_HEADERS', str(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseKeyValueList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', str(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
  };
  const apiKey = str(env, 'HONEYCOMB_API_KEY');
  const apiKeySecret = str(env, 'HONEYCOMB_API_KEY_SECRET');
  if (apiKey && apiKeySecret) {
    throw new ConfigurationError('HONEYCOMB_API_KEY_SECRET', 'set either HONEYCOMB_API_KEY or HONEYCOMB_API_KEY_SECRET, not both');
  }
  const config: OtlpConfig = {
    endpoint, protocol, compression, headers,
    secretTtlMs: int(env, 'GOVERNANCE_SECRET_TTL_SECONDS', 300, 0, 86_400) * 1000,
  };
  if (apiKey) config.apiKey = apiKey;
  if (apiKeySecret) config.apiKeySecret = apiKeySecret;
  const dataset = str(env, 'HONEYCOMB_DATASET');
  if (dataset) config.dataset = dataset;
  return config;
}

export function readConfig(env: Env = process.env): GovernanceConfig {
  rejectUnknown(env, 'GOVERNANCE_', KNOWN_GOVERNANCE_VARS, (key) => key.startsWith(CONTEXT_VAR_PREFIX));
  const sdkDisabled = bool(env, 'OTEL_SDK_DISABLED');
  const exporter = oneOf(env, 'GOVERNANCE_EXPORTER', ['kinesis', 'otlp'] as const, 'kinesis');
  const serviceName = str(env, 'OTEL_SERVICE_NAME') ?? str(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'unknown_service:lambda';

  const redact = str(env, 'GOVERNANCE_REDACT_KEYS');
  const redactPatterns = [...DEFAULT_REDACT, ...(redact ? redact.split(',').filter((p) => p.trim() !== '') : [])].map(globToRegExp);

  const extractJson = str(env, 'GOVERNANCE_EXTRACT');
  const extract = extractJson === undefined ? {} : parseExtractRules('GOVERNANCE_EXTRACT', parseExtractSpec(extractJson));
  const pricesJson = json(env, 'GOVERNANCE_PRICES');

  const config: GovernanceConfig = {
    enabled: !sdkDisabled && !bool(env, 'GOVERNANCE_DISABLED'),
    exporter,
    serviceName,
    flushTimeoutMs: int(env, 'GOVERNANCE_FLUSH_TIMEOUT_MS', 2000, 1, 900_000),
    flushMarginMs: int(env, 'GOVERNANCE_FLUSH_MARGIN_MS', 200, 0, 60_000),
    maxQueuedSpans: int(env, 'GOVERNANCE_MAX_QUEUED_SPANS', 2048, 1, 1_000_000),
    maxCarryOverSpans: int(env, 'GOVERNANCE_MAX_CARRYOVER_SPANS', 2048, 0, 1_000_000),
    limits: {
      maxAttributes: int(env, 'GOVERNANCE_MAX_ATTRIBUTES', int(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 128, 1, 100_000), 1, 100_000),
      maxKeyLength: int(env, 'GOVERNANCE_MAX_KEY_LENGTH', 256, 1, 10_000),
      maxValueLength: int(env, 'GOVERNANCE_MAX_VALUE_LENGTH', int(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 4096, 1, 1_000_000), 1, 1_000_000),
    },
    redactPatterns,
    defaults: readDefaults(env),
    extract,
    prices: pricesJson === undefined ? {} : parsePriceTable('GOVERNANCE_PRICES', pricesJson),
    resourceAttributes: parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', str(env, 'OTEL_RESOURCE_ATTRIBUTES')),
  };
  const region = str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION');
  if (region) config.region = region;
  const budget = readBudgetCheck(env);
  if (budget) config.budget = budget;

  if (!config.enabled) return config;
  if (exporter === 'kinesis') {
    const streamName = str(env, 'GOVERNANCE_STREAM_NAME');
    if (!streamName) throw new ConfigurationError('GOVERNANCE_STREAM_NAME', 'is required when GOVERNANCE_EXPORTER is kinesis (the default)');
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(streamName)) throw new ConfigurationError('GOVERNANCE_STREAM_NAME', `"${streamName}" is not a valid Kinesis stream name`);
    config.kinesis = { streamName };
  } else {
    config.otlp = readOtlp(env);
  }
  return config;
}

function readBudgetCheck(env: Env): BudgetCheckConfig | undefined {
  const table = str(env, 'GOVERNANCE_BUDGET_TABLE');
  const settings = ['GOVERNANCE_BUDGET_ENFORCE', 'GOVERNANCE_BUDGET_CACHE_SECONDS', 'GOVERNANCE_BUDGET_WARN_PCT', 'GOVERNANCE_BUDGET_TIMEOUT_MS'];
  if (table === undefined) {
    const orphan = settings.find((key) => str(env, key) !== undefined);
    if (orphan) throw new ConfigurationError(orphan, 'needs GOVERNANCE_BUDGET_TABLE (the ledger table budget checks read)');
    return undefined;
  }
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) throw new ConfigurationError('GOVERNANCE_BUDGET_TABLE', `"${table}" is not a valid DynamoDB table name`);
  const warn = str(env, 'GOVERNANCE_BUDGET_WARN_PCT');
  return {
    table,
    enforce: bool(env, 'GOVERNANCE_BUDGET_ENFORCE'),
    cacheMs: int(env, 'GOVERNANCE_BUDGET_CACHE_SECONDS', 5, 0, 300) * 1000,
    ...(warn !== undefined && { warnPct: int(env, 'GOVERNANCE_BUDGET_WARN_PCT', 80, 1, 1000) }),
    timeoutMs: int(env, 'GOVERNANCE_BUDGET_TIMEOUT_MS', 500, 10, 10_000),
  };
}

/** GOVERNANCE_EXTRACT is `field=rule;field=rule`, e.g. `customer_id=claim:sub;feature=header:x-feature`. */
function parseExtractSpec(spec: string): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const part of spec.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigurationError('GOVERNANCE_EXTRACT', `entry "${part.trim()}" is not field=rule`);
    rules[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return rules;
}

export const KNOWN_OPTION_KEYS: ReadonlySet<string> = new Set([...GOVERNANCE_FIELDS, 'extract', 'prices', 'spanName']);
