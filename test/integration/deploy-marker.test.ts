/**
 * The deploy marker against real parts on 127.0.0.1: the Honeycomb stand-in (markers, faults), the Secrets
 * Manager stand-in holding the keys, and a small server standing in for the S3 pre-signed ResponseURL that
 * records each PUT and can refuse the first ones. What CloudFormation and the user see is asserted: the answer
 * PUT to the ResponseURL, and the markers in Honeycomb.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandlerFromEnv, PHYSICAL_ID_PREFIX, ResponseDeliveryError, type DeployMarkerHandler } from '../../functions/deploy-marker/handler.js';
import { responseBody, type CfnResponse } from '../../functions/deploy-marker/response.js';
import { bundleFunction } from '../../scripts/build-functions.js';
import { HoneycombStandIn, type Marker } from '../../scripts/local/honeycomb/index.js';
import { LocalLambda } from '../../scripts/local/local-lambda.js';
import { SecretsManagerStandIn } from '../../scripts/local/secrets-manager.js';
import { REPO_NODE_MODULES, ROOT } from '../support/paths.js';
import { lambdaContext } from '../support/runtime.js';

interface ReceivedPut { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; status: number }

/** The S3 pre-signed URL CloudFormation waits on: records every request; `fail` refuses the next ones. */
class ResponseUrlStandIn {
  public readonly requests: ReceivedPut[] = [];
  private readonly failures: number[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = this.failures.shift() ?? 200;
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      if (status === 200) res.writeHead(200).end();
      else res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>`);
    });
  });

  public static async start(): Promise<ResponseUrlStandIn> {
    const standIn = new ResponseUrlStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  public url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  public fail(times: number, status: number): void {
    for (let i = 0; i < times; i++) this.failures.push(status);
  }

  /** The answers S3 accepted, parsed. */
  public accepted(): CfnResponse[] {
    return this.requests.filter((r) => r.status === 200).map((r) => JSON.parse(r.body) as CfnResponse);
  }

  public reset(): void {
    this.requests.length = 0;
    this.failures.length = 0;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let honeycomb: HoneycombStandIn;
let secrets: SecretsManagerStandIn;
let cfn: ResponseUrlStandIn;
const savedEnv = { ...process.env };

let n = 0;
let dataset: string;
let secretName: string;
/** Every console line the handler wrote in the current test. */
let logged: string[];

beforeAll(async () => {
  [honeycomb, secrets, cfn] = await Promise.all([HoneycombStandIn.start(), SecretsManagerStandIn.start(), ResponseUrlStandIn.start()]);
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url });
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([honeycomb?.stop(), secrets?.stop(), cfn?.stop()]);
});
beforeEach(() => {
  n++;
  honeycomb.reset();
  cfn.reset();
  dataset = `deploys-${n}`;
  secretName = `honeycomb-deploy-marker-${n}`;
  honeycomb.addDataset(dataset);
  secrets.put(secretName, JSON.stringify({ ingestKey: honeycomb.ingestKey, configKey: honeycomb.configKey }));
  logged = [];
  for (const method of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(`${method}: ${args.map(String).join(' ')}`));
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function env(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = { HONEYCOMB_SECRET: secretName, HONEYCOMB_API_HOST: honeycomb.url, AWS_REGION: 'us-east-1', ...overrides };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/checkout/5b6f7a10-c6ac-11ef-9b0a-0a1b2c3d4e5f';

type RequestType = CloudFormationCustomResourceEvent['RequestType'];

/** A request as CloudFormation sends it; `props` replace the default properties, undefined removes one. */
function cfnEvent(type: RequestType, props: Record<string, string | undefined> = {}, physicalId?: string): CloudFormationCustomResourceEvent {
  const properties = Object.fromEntries(Object.entries({
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:deploy-marker', Dataset: dataset,
    Message: `deploy checkout v1.${n}`, MarkerType: 'deploy', Url: 'https://ci.example/builds/42', DeployId: `build-${n}-${type}`, ...props,
  }).filter((e) => e[1] !== undefined)) as { ServiceToken: string };
  const common = {
    ServiceToken: properties.ServiceToken, ResponseURL: cfn.url(`/cfn-responses/${n}/${type}?X-Amz-Expires=7200&X-Amz-Signature=abc123`),
    StackId: STACK_ID, RequestId: `request-${n}-${type}`, LogicalResourceId: 'DeployMarker', ResourceType: 'Custom::HoneycombDeployMarker',
    ResourceProperties: properties,
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  const PhysicalResourceId = physicalId ?? `${PHYSICAL_ID_PREFIX}DeployMarker`;
  if (type === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId, OldResourceProperties: properties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId };
}

/** Runs one request and returns the one answer CloudFormation accepted for it. */
async function answer(handler: DeployMarkerHandler, event: CloudFormationCustomResourceEvent, remainingMs = 30_000): Promise<CfnResponse> {
  const before = cfn.accepted().length;
  await handler(event, lambdaContext({ remainingMs }));
  const accepted = cfn.accepted().slice(before);
  expect(accepted, 'exactly one answer accepted').toHaveLength(1);
  return accepted[0]!;
}

const markers = (name = dataset): Marker[] => honeycomb.markers(name).map((m) => m.marker);

describe('deploy marker', () => {
  it('Create posts one marker with the message, type and url, and answers SUCCESS with its id', async () => {
    const handler = createHandlerFromEnv(env());
    const event = cfnEvent('Create');
    const response = await answer(handler, event);
    expect(markers()).toHaveLength(1);
    const [marker] = markers();
    expect(marker).toMatchObject({ message: `deploy checkout v1.${n}`, type: 'deploy', url: 'https://ci.example/builds/42' });
    expect(response).toEqual({
      Status: 'SUCCESS', Reason: expect.any(String), PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`,
      StackId: STACK_ID, RequestId: event.RequestId, LogicalResourceId: 'DeployMarker', NoEcho: false, Data: { MarkerId: marker!.id },
    });
    const [put] = cfn.requests;
    expect(put).toMatchObject({ method: 'PUT', url: `/cfn-responses/${n}/Create?X-Amz-Expires=7200&X-Amz-Signature=abc123` });
    expect(put!.headers['content-type'], 'the pre-signed URL is signed for an empty content-type').toBe('');
    expect(put!.headers['content-length']).toBe(String(Buffer.byteLength(put!.body)));
    const markerRequests = honeycomb.requests.filter((r) => r.path.startsWith('/1/markers/'));
    expect(markerRequests).toHaveLength(1);
    expect(markerRequests[0]!.path).toBe(`/1/markers/${dataset}`);
    expect(logged.filter((l) => l.startsWith('log: ')).map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'INFO', requestType: 'Create', status: 'SUCCESS', markerId: marker!.id }),
    ]);
  });

  it('Update posts a second marker, defaults the type to deploy, and keeps the PhysicalResourceId CloudFormation sent', async () => {
    const handler = createHandlerFromEnv(env());
    const created = await answer(handler, cfnEvent('Create'));
    const updated = await answer(handler, cfnEvent('Update', { Message: 'deploy checkout v2', MarkerType: undefined, Url: undefined }, created.PhysicalResourceId));
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(markers()).toHaveLength(2);
    expect(markers()[1]).toEqual(expect.objectContaining({ message: 'deploy checkout v2', type: 'deploy' }));
    expect(markers()[1]).not.toHaveProperty('url');
    expect(updated).toMatchObject({ Status: 'SUCCESS', Data: { MarkerId: markers()[1]!.id } });

    // A resource created under another id (an older version of the function) keeps that id.
    const legacy = await answer(handler, cfnEvent('Update', {}, 'some-older-physical-id'));
    expect(legacy).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'some-older-physical-id' });
    expect(markers()).toHaveLength(3);
  });

  it('reads a secret given by its ARN in the ARN\'s region, not the function\'s', async () => {
    const { arn: otherRegion } = secrets.put(`${secretName}-eu`, JSON.stringify({ ingestKey: honeycomb.ingestKey, configKey: honeycomb.configKey }), 'eu-west-1');
    const response = await answer(createHandlerFromEnv(env({ HONEYCOMB_SECRET: otherRegion, AWS_REGION: 'us-east-1' })), cfnEvent('Create'));
    expect(response.Data).toEqual({ MarkerId: markers()[0]!.id });
    expect(secrets.calls.filter((c) => c.secretId === otherRegion).map((c) => c.region)).toEqual(['eu-west-1']);
  });

  it('posts environment-wide markers with Dataset __all__', async () => {
    const response = await answer(createHandlerFromEnv(env()), cfnEvent('Create', { Dataset: '__all__', MarkerType: 'release' }));
    expect(markers('__all__')).toEqual([expect.objectContaining({ message: `deploy checkout v1.${n}`, type: 'release' })]);
    expect(response.Data).toEqual({ MarkerId: markers('__all__')[0]!.id });
  });

  it('Delete posts no marker and answers SUCCESS, even without properties', async () => {
    const handler = createHandlerFromEnv(env());
    const response = await answer(handler, cfnEvent('Delete'));
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`, Data: {} });
    expect(await answer(handler, cfnEvent('Delete', { Dataset: undefined, Message: undefined }))).toMatchObject({ Status: 'SUCCESS' });
    expect(markers()).toHaveLength(0);
    expect(honeycomb.requests.filter((r) => r.path.startsWith('/1/markers/'))).toHaveLength(0);
  });

  it('retries Honeycomb 500s and posts one marker', async () => {
    const [fault] = honeycomb.injectFaults([{ kind: 'status', status: 500, times: 2, path: '/1/markers/' }]);
    const response = await answer(createHandlerFromEnv(env()), cfnEvent('Create'));
    expect(fault!.used).toBe(2);
    expect(markers()).toHaveLength(1);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { MarkerId: markers()[0]!.id } });
  });

  const WRONG_KEY = `hcxlk_${'9'.repeat(26)}${'f'.repeat(32)}`;
  it.each([
    ['a wrong configuration key (401)', () => secrets.put(secretName, JSON.stringify({ ingestKey: honeycomb.ingestKey, configKey: WRONG_KEY })), /answered 401/],
    ['a secret without configKey', () => secrets.put(secretName, JSON.stringify({ ingestKey: honeycomb.ingestKey })), /no configKey/],
    ['a secret that cannot be read', () => void (secretName = `missing-${n}`), /could not read secret missing-\d+: ResourceNotFoundException/],
    ['a dataset that does not exist (404)', () => (dataset = `no-such-dataset-${n}`), /answered 404/],
  ])('does not fail the deploy for %s: SUCCESS with MarkerError, one warning, no key anywhere', async (_case, arrange, why) => {
    arrange();
    const response = await answer(createHandlerFromEnv(env()), cfnEvent('Create'));
    expect(response.Status).toBe('SUCCESS');
    expect(response.Data).toEqual({ MarkerId: '', MarkerError: expect.stringMatching(why) });
    expect(honeycomb.markers()).toHaveLength(0);
    const warnings = logged.filter((l) => l.startsWith('warn: '));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!.slice(6))).toMatchObject({ level: 'WARN', markerError: response.Data.MarkerError });
    const seen = [...cfn.requests.map((r) => r.body), ...logged].join('\n');
    for (const key of [WRONG_KEY, honeycomb.configKey, honeycomb.ingestKey]) expect(seen).not.toContain(key);
  });

  it('answers within the invocation\'s time when Honeycomb does not answer at all', async () => {
    honeycomb.injectFaults([{ kind: 'hang', path: '/1/markers/' }]);
    const started = Date.now();
    // 7 s left: 1 s margin and 5 s for the answer leave the marker 1 s.
    const response = await answer(createHandlerFromEnv(env()), cfnEvent('Create'), 7_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { MarkerId: '', MarkerError: expect.stringMatching(/timed out/) } });
  });

  it('retries the answer when the response URL fails with 503 once; CloudFormation gets one answer and one marker', async () => {
    cfn.fail(1, 503);
    const result = await createHandlerFromEnv(env())(cfnEvent('Create'), lambdaContext());
    expect(cfn.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(cfn.requests[1]!.body).toBe(cfn.requests[0]!.body);
    expect(cfn.accepted()).toHaveLength(1);
    expect(result.attempts).toBe(2);
    expect(markers(), 'the answer is retried, not the marker').toHaveLength(1);
  });

  it('throws once every attempt to answer failed, so Lambda retries the invocation; a 403 is not retried', async () => {
    const handler = createHandlerFromEnv(env({ DEPLOY_MARKER_TIMEOUT_MS: '500' }));
    cfn.fail(1, 403);
    await expect(handler(cfnEvent('Create'), lambdaContext())).rejects.toThrow(ResponseDeliveryError);
    expect(cfn.requests.map((r) => r.status)).toEqual([403]);
    cfn.reset();
    cfn.fail(5, 500);
    await expect(handler(cfnEvent('Delete'), lambdaContext())).rejects.toThrow(/after 5 attempt\(s\): HTTP 500 SlowDown/);
    expect(cfn.requests).toHaveLength(5);
    expect(logged.filter((l) => l.startsWith('error: ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'ERROR', responseFailure: 'HTTP 403 SlowDown' }), expect.objectContaining({ level: 'ERROR', responseFailure: 'HTTP 500 SlowDown' }),
    ]);
  });

  it('answers FAILED naming the missing property on Create and Update', async () => {
    const handler = createHandlerFromEnv(env());
    const noMessage = await answer(handler, cfnEvent('Create', { Message: undefined }));
    expect(noMessage).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`, Data: {} });
    expect(noMessage.Reason).toMatch(/^Message is a required property/);
    const noDataset = await answer(handler, cfnEvent('Update', { Dataset: '' }));
    expect(noDataset).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker` });
    expect(noDataset.Reason).toMatch(/^Dataset is a required property/);
    expect(markers()).toHaveLength(0);
  });

  it('answers every request FAILED with the configuration error, naming the variable, but lets Delete succeed', async () => {
    const noKey = createHandlerFromEnv(env({ HONEYCOMB_SECRET: undefined }));
    const created = await answer(noKey, cfnEvent('Create'));
    expect(created).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker` });
    expect(created.Reason).toMatch(/^HONEYCOMB_SECRET: is required/);
    expect((await answer(noKey, cfnEvent('Update'))).Reason).toMatch(/^HONEYCOMB_SECRET: /);
    const deleted = await answer(noKey, cfnEvent('Delete'));
    expect(deleted.Status, 'a stack must always be deletable, and a failed create rolled back').toBe('SUCCESS');

    const typo = await answer(createHandlerFromEnv(env({ DEPLOY_MARKER_TIMEOUT: '1000' })), cfnEvent('Create'));
    expect(typo).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^DEPLOY_MARKER_TIMEOUT: is not a known setting/) });
    const ingestOnly = await answer(createHandlerFromEnv(env({ HONEYCOMB_SECRET: undefined, HONEYCOMB_API_KEY: honeycomb.ingestKey })), cfnEvent('Create'));
    expect(ingestOnly).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^HONEYCOMB_CONFIG_KEY: /) });
    expect(cfn.requests.map((r) => r.body).join('\n')).not.toContain(honeycomb.ingestKey);
    expect(markers()).toHaveLength(0);
  });

  it('cuts a long Reason so the answer stays under 4096 bytes', () => {
    const response: CfnResponse = {
      Status: 'FAILED', Reason: `wrong: ${'é€"\n'.repeat(3_000)}`, PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`, StackId: STACK_ID,
      RequestId: 'r', LogicalResourceId: 'DeployMarker', NoEcho: false, Data: {},
    };
    const body = responseBody(response);
    expect(Buffer.byteLength(body)).toBeLessThan(4_096);
    expect(Buffer.byteLength(body), 'as much of the Reason as fits is kept').toBeGreaterThan(3_980);
    const parsed = JSON.parse(body) as CfnResponse;
    expect(parsed.Reason).toMatch(/^wrong: é€"\n.*…$/s);
    expect(parsed.Reason.length).toBeGreaterThan(1_000);
    expect({ ...parsed, Reason: response.Reason }).toEqual(response);
    const short = { ...response, Reason: 'short 🚀' };
    expect(responseBody(short)).toBe(JSON.stringify(short));
    // A cut never leaves half a surrogate pair.
    for (const pad of ['', 'x', 'xx', 'xxx', 'xxxx']) {
      const emoji = JSON.parse(responseBody({ ...response, Reason: pad + '🚀'.repeat(2_000) })) as CfnResponse;
      expect(emoji.Reason).toMatch(/^x*(🚀)+…$/u);
    }
  });
});

describe('deploy marker, bundled, in a Lambda execution environment', () => {
  let bundle: string;
  const lambdas: LocalLambda[] = [];
  beforeAll(async () => {
    bundle = await bundleFunction(join(ROOT, 'functions', 'deploy-marker', 'index.ts'), join(ROOT, 'dist', 'functions', 'deploy-marker', 'index.cjs'));
  });
  afterEach(async () => {
    await Promise.all(lambdas.splice(0).map((l) => l.stop()));
  });

  async function start(lambdaEnv: Record<string, string>): Promise<LocalLambda> {
    // The repository's node_modules stands in for the runtime's /var/runtime/node_modules (the AWS SDK).
    const lambda = await LocalLambda.start({ handler: `${bundle}#handler`, functionName: 'deploy-marker', env: lambdaEnv, nodePath: [REPO_NODE_MODULES], timeoutMs: 15_000 });
    lambdas.push(lambda);
    return lambda;
  }

  it('posts the marker and answers CloudFormation, reading the key from Secrets Manager', async () => {
    const lambda = await start({ ...env(), AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url });
    const create = await lambda.invoke(cfnEvent('Create'));
    expect(create.error).toBeUndefined();
    expect(markers()).toEqual([expect.objectContaining({ message: `deploy checkout v1.${n}`, type: 'deploy', url: 'https://ci.example/builds/42' })]);
    expect(cfn.accepted()).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`, Data: { MarkerId: markers()[0]!.id } })]);
    expect(cfn.requests[0]!.headers['content-type']).toBe('');

    // Thawed for the next deploy: the pooled connection and the cached secret are reused.
    const update = await lambda.invoke(cfnEvent('Update', { Message: 'deploy checkout v2' }));
    expect(update.error).toBeUndefined();
    expect(markers().map((m) => m.message)).toEqual([`deploy checkout v1.${n}`, 'deploy checkout v2']);
    expect(cfn.accepted()[1]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PHYSICAL_ID_PREFIX}DeployMarker`, Data: { MarkerId: markers()[1]!.id } });
    expect(secrets.getCount(secretName)).toBe(1);
    expect(lambda.logs.join('\n')).not.toContain(honeycomb.configKey);
  });

  it('does not fail its init on a configuration error: it answers FAILED naming HONEYCOMB_SECRET', async () => {
    const lambda = await start({ HONEYCOMB_API_HOST: honeycomb.url });
    const outcome = await lambda.invoke(cfnEvent('Create'));
    expect(outcome.error).toBeUndefined();
    expect(cfn.accepted()).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/^HONEYCOMB_SECRET: is required/) })]);
    expect(markers()).toHaveLength(0);
  });
});
