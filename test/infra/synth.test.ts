/**
 * The real `cdk synth` of infra/app.ts, offline: the CLI and every node process it starts run with
 * deny-network.cjs preloaded (NODE_OPTIONS is inherited), which logs and fails any connection or DNS lookup
 * beyond loopback. The CLI is run directly rather than through `npm run synth`, whose layer build would rebuild
 * dist/layer/ under the other test files (the global setup has built it already).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths.js';
import { readValidationReport, type CfnResource } from './support.js';

const run = promisify(execFile);
const PRELOAD = join(ROOT, 'test', 'infra', 'deny-network.cjs');
const CDK = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

interface Guarded {
  readonly env: NodeJS.ProcessEnv;
  readonly networkLog: string;
  readonly processLog: string;
}

const dir = mkdtempSync(join(tmpdir(), 'lg-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The environment of a guarded run: the preload, its logs, no update or version checks, and no AWS credentials
 * (with credentials the CLI asks STS for the default account, which is the CLI's business, not the app's).
 */
function guarded(name: string): Guarded {
  const networkLog = join(dir, `${name}.network.jsonl`);
  const processLog = join(dir, `${name}.processes.jsonl`);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|CDK_|VITEST|NODE_ENV$|NODE_OPTIONS$)/.test(key) && key !== 'AWS_CA_BUNDLE') continue;
    env[key] = value;
  }
  Object.assign(env, {
    NODE_OPTIONS: `--require ${PRELOAD}`,
    LG_DENY_NETWORK_LOG: networkLog,
    LG_DENY_NETWORK_PROCESSES: processLog,
    CDK_DISABLE_VERSION_CHECK: '1',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  });
  return { env, networkLog, processLog };
}

const lines = (file: string): Record<string, any>[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('deny-network.cjs', () => {
  it('logs and fails connections and lookups beyond loopback, in children too, and lets loopback through', async () => {
    const guard = guarded('self-check');
    const script = `
      const net = require('node:net');
      const { execFileSync } = require('node:child_process');
      const settle = (p) => p.then(() => 'connected', (e) => e.code ?? e.cause?.code);
      const local = net.createServer((socket) => socket.end('hi')).listen(0, '127.0.0.1', async () => {
        const loopback = await new Promise((resolve) => net.connect(local.address().port, '127.0.0.1').on('data', (d) => resolve(String(d))).on('error', (e) => resolve(e.code)));
        local.close();
        const fetched = await settle(fetch('https://example.com/'));
        const looked = await new Promise((resolve) => require('node:dns').lookup('example.org', (e) => resolve(e && e.code)));
        const promised = await settle(require('node:dns/promises').lookup('example.net'));
        execFileSync(process.execPath, ['-e', "require('node:net').connect(443, '192.0.2.1').on('error', () => {})"]);
        console.log(JSON.stringify({ loopback, fetched, looked, promised }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { env: guard.env, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ loopback: 'hi', fetched: 'ENETUNREACH', looked: 'ENETUNREACH', promised: 'ENETUNREACH' });
    const denied = lines(guard.networkLog);
    expect(denied.map((d) => `${d.kind} ${d.host}`).sort()).toEqual([
      'connect 192.0.2.1', 'connect example.com', 'dns.lookup example.org', 'dns.promises.lookup example.net',
    ]);
    expect(new Set(denied.map((d) => d.pid)).size).toBe(2);
    expect(lines(guard.processLog)).toHaveLength(2);
  });
});

describe('cdk synth', () => {
  let guard: Guarded;
  let outdir: string;
  let result: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    guard = guarded('synth');
    outdir = join(dir, 'cdk.out');
    try {
      const { stdout, stderr } = await run(process.execPath, [CDK, 'synth', '--quiet', '-o', outdir], { cwd: ROOT, env: guard.env, timeout: 90_000 });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      result = { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
    }
  }, 120_000);

  it('succeeds', () => {
    expect(result.code, result.stderr).toBe(0);
  });

  it('writes the governance stack', () => {
    const file = join(outdir, 'LambdaGovernance.template.json');
    expect(existsSync(file)).toBe(true);
    const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, CfnResource> };
    const count = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type).length;
    // cdk.json names the example budgets file, so the ledger and the budget function are there.
    expect({
      stream: count('AWS::Kinesis::Stream'), key: count('AWS::KMS::Key'), functions: count('AWS::Lambda::Function'),
      mapping: count('AWS::Lambda::EventSourceMapping'), layer: count('AWS::Lambda::LayerVersion'), queues: count('AWS::SQS::Queue'),
      ledger: count('AWS::DynamoDB::Table'), schedule: count('AWS::Events::Rule'), topic: count('AWS::SNS::Topic'),
      marker: count('Custom::HoneycombDeployMarker'), alarms: count('AWS::CloudWatch::Alarm'),
    }).toEqual({ stream: 1, key: 1, functions: 3, mapping: 1, layer: 1, queues: 2, ledger: 1, schedule: 1, topic: 1, marker: 1, alarms: 7 });
  });

  it('reports no unacknowledged finding', () => {
    const report = readValidationReport(outdir);
    expect(report.pluginReports.map((p) => p.pluginName)).toContain('AwsSolutions');
    for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
  });

  it('touches no network, with the guard active in the CLI and in the app', () => {
    expect(lines(guard.networkLog)).toEqual([]);
    const argvs = lines(guard.processLog).map((p) => (p.argv as string[]).join(' '));
    expect(argvs.some((argv) => argv.includes('aws-cdk/bin/cdk synth'))).toBe(true);
    expect(argvs.some((argv) => argv.includes('infra/app.ts'))).toBe(true);
  });
});
