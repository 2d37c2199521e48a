import { describe, expect, it } from 'vitest';
import { readConfig, HONEYCOMB_US_TRACES_ENDPOINT } from '../../layers/governance/src/config.js';
import { ConfigurationError } from '../../layers/governance/src/errors.js';

const kinesis = { GOVERNANCE_STREAM_NAME: 'governance' };

function errorOf(env: Record<string, string>): ConfigurationError {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('readConfig accepted a bad configuration');
}

describe('readConfig', () => {
  it('defaults to the kinesis exporter and requires the stream name, naming the variable', () => {
    const error = errorOf({});
    expect(error.setting).toBe('GOVERNANCE_STREAM_NAME');
    expect(error.message).toMatch(/^GOVERNANCE_STREAM_NAME: is required/);
    expect(readConfig(kinesis).kinesis).toEqual({ streamName: 'governance' });
  });

  it.each([
    [{ GOVERNANCE_EXPORTER: 'zipkin' }, 'GOVERNANCE_EXPORTER'],
    [{ ...kinesis, GOVERNANCE_FLUSH_TIMEOUT_MS: '2s' }, 'GOVERNANCE_FLUSH_TIMEOUT_MS'],
    [{ ...kinesis, GOVERNANCE_FLUSH_TIMEOUT_MS: '0' }, 'GOVERNANCE_FLUSH_TIMEOUT_MS'],
    [{ ...kinesis, GOVERNANCE_FLUSH_TIMOUT_MS: '100' }, 'GOVERNANCE_FLUSH_TIMOUT_MS'],
    [{ ...kinesis, GOVERNANCE_PRICES: '{not json' }, 'GOVERNANCE_PRICES'],
    [{ ...kinesis, GOVERNANCE_PRICES: '{"m":{"input":-1,"output":2}}' }, 'GOVERNANCE_PRICES'],
    [{ ...kinesis, GOVERNANCE_EXTRACT: 'customer_id=cookie:x' }, 'GOVERNANCE_EXTRACT'],
    [{ ...kinesis, GOVERNANCE_CONTEXT_COST: 'x' }, 'GOVERNANCE_CONTEXT_COST'],
    [{ ...kinesis, OTEL_SDK_DISABLED: 'maybe' }, 'OTEL_SDK_DISABLED'],
    [{ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [{ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
    [{ GOVERNANCE_EXPORTER: 'otlp', HONEYCOMB_API_KEY: 'k', HONEYCOMB_API_KEY_SECRET: 's' }, 'HONEYCOMB_API_KEY_SECRET'],
    [{ GOVERNANCE_STREAM_NAME: 'bad name!' }, 'GOVERNANCE_STREAM_NAME'],
  ])('rejects %j naming %s', (env, setting) => {
    expect(errorOf(env as Record<string, string>).setting).toBe(setting);
  });

  it('reads the default governance context, including the general GOVERNANCE_CONTEXT_<FIELD> form', () => {
    const config = readConfig({ ...kinesis, GOVERNANCE_TEAM: 'ai-eng', GOVERNANCE_PROJECT: 'bot', GOVERNANCE_ENVIRONMENT: 'prod', GOVERNANCE_CONTEXT_COST_CENTER: 'cc-42' });
    expect(config.defaults).toEqual({ team: 'ai-eng', project: 'bot', environment: 'prod', cost_center: 'cc-42' });
  });

  it('builds the OTLP endpoint from the base endpoint, or takes the traces endpoint as is, defaulting to Honeycomb US', () => {
    expect(readConfig({ GOVERNANCE_EXPORTER: 'otlp' }).otlp!.endpoint.href).toBe(HONEYCOMB_US_TRACES_ENDPOINT);
    expect(readConfig({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).otlp!.endpoint.href).toBe('http://collector:4318/v1/traces');
    expect(readConfig({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom' }).otlp!.endpoint.href).toBe('https://b/custom');
  });

  it('merges OTLP headers with the traces-specific ones winning, percent-decoded', () => {
    const config = readConfig({ GOVERNANCE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=hello%20world', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=2' });
    expect(config.otlp!.headers).toEqual({ a: '2', b: 'hello world' });
  });

  it('honours the OTel attribute limits unless ours are set', () => {
    expect(readConfig({ ...kinesis, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100' }).limits).toMatchObject({ maxAttributes: 64, maxValueLength: 100 });
    expect(readConfig({ ...kinesis, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64', GOVERNANCE_MAX_ATTRIBUTES: '10' }).limits.maxAttributes).toBe(10);
  });

  it('parses extraction rules and price overrides', () => {
    const config = readConfig({ ...kinesis, GOVERNANCE_EXTRACT: 'customer_id=claim:sub; feature=header:x-feature', GOVERNANCE_PRICES: '{"Acme/Model-X":{"input":1,"output":2}}' });
    expect(config.extract).toEqual({ customer_id: 'claim:sub', feature: 'header:x-feature' });
    expect(config.prices).toEqual({ 'acme/model-x': { input: 1, output: 2 } });
  });

  it('needs no exporter settings when switched off', () => {
    expect(readConfig({ GOVERNANCE_DISABLED: 'true' }).enabled).toBe(false);
    expect(readConfig({ OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });
});
