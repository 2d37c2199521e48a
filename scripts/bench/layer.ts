/**
 * npm run bench:layer: lambda-governance against a bare handler and against the reference setup of the
 * OpenTelemetry Lambda instrumentation (BasicTracerProvider + BatchSpanProcessor + OTLP/proto exporter,
 * forceFlush per invocation), in one run: init (require time in fresh processes), warm per-invocation
 * overhead, artifact size and RSS. Every variant exports to the same OTLP receiver, which runs in its own
 * process. Prints PASS/MISS against the targets but always exits 0.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { buildLayer, LAYER_NODE_PATH, LAYER_ZIP } from '../build-layer.js';
import { fixed, percentile, printTable, ratio, runBenchmark, runMarked, track } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const OUT_DIR = join(root, 'dist', 'bench');

const COLD_RUNS = 25;
const WARMUP = 300;
const MEASURED = 2000;
const SPAN_COUNTS = [1, 10];
/** Size of the OpenTelemetry Lambda Node.js layer as published; not measured here. */
const REPORTED_OTEL_LAYER_KB = 471;
const TARGET = { initMs: 10, p50Ms: 1, p99Ms: 3, zipKb: 100, rssMb: 10 };

const VARIANTS = ['bare', 'ours', 'reference'] as const;
type Variant = (typeof VARIANTS)[number];
type PerVariant<T> = Record<Variant, T>;

const KB = 1024;
const MB = 1024 * 1024;
const verdicts: string[] = [];
function verdict(label: string, value: number, limit: number): string {
  const result = value <= limit ? 'PASS' : 'MISS';
  verdicts.push(`${result}  ${label}`);
  return result;
}

async function bundleHandlers(): Promise<PerVariant<string>> {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const files = {} as PerVariant<string>;
  for (const variant of VARIANTS) {
    files[variant] = join(OUT_DIR, `${variant}.cjs`);
    await build({
      entryPoints: [join(here, 'handlers', `${variant}.ts`)], outfile: files[variant],
      bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'none',
      mainFields: ['module', 'main'], external: ['lambda-governance', '@aws-sdk/*', '@smithy/*'], logLevel: 'warning',
    });
  }
  // The tsconfig maps lambda-governance to its sources; make sure the layer build is what gets measured.
  if (!readFileSync(files.ours, 'utf8').includes('require("lambda-governance")')) throw new Error('ours.cjs inlined lambda-governance');
  return files;
}

interface Receiver { url: string; count(clear?: boolean): Promise<number> }

/** Starts scripts/bench/receiver.ts in its own process and talks to it over IPC (one request at a time). */
async function startReceiver(): Promise<Receiver> {
  const child = track(process.execPath, ['--import', 'tsx', join(here, 'receiver.ts')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the OTLP receiver did not answer')), 15_000);
    child.once('message', (m) => (clearTimeout(timer), resolve(m as Record<string, unknown>)));
  });
  const { url } = await next();
  return {
    url: String(url),
    count: async (clear = false) => {
      const answer = next();
      child.send({ cmd: clear ? 'clear' : 'count' });
      return Number((await answer).count);
    },
  };
}

interface ColdStart { requireMs: number; firstInvokeMs: number }

async function measureInit(files: PerVariant<string>, env: NodeJS.ProcessEnv): Promise<PerVariant<ColdStart[]>> {
  const runs: PerVariant<ColdStart[]> = { bare: [], ours: [], reference: [] };
  for (let i = 0; i < COLD_RUNS; i++) {
    // Rotate the order so drift (thermal, page cache) does not favour one variant.
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(i + k) % VARIANTS.length]!;
      runs[variant].push(await runMarked<ColdStart>([join(here, 'init-runner.mjs'), files[variant]], env, 20_000));
    }
  }
  return runs;
}

interface WarmResult { runs: Record<string, number[]>; rss: number; rssAfterRequire: number; heapAfterGc: number; spansReceived: number }

async function measureWarm(files: PerVariant<string>, env: NodeJS.ProcessEnv, receiver: Receiver): Promise<PerVariant<WarmResult>> {
  const out = {} as PerVariant<WarmResult>;
  for (const variant of VARIANTS) {
    await receiver.count(true);
    const args = ['--expose-gc', join(here, 'warm-runner.mjs'), files[variant], SPAN_COUNTS.join(','), String(WARMUP), String(MEASURED)];
    const result = await runMarked<Omit<WarmResult, 'spansReceived'>>(args, env, 90_000);
    // Both traced variants export before the handler's promise settles, so the count is final here.
    out[variant] = { ...result, spansReceived: await receiver.count() };
  }
  return out;
}

function reportInit(runs: PerVariant<ColdStart[]>): void {
  console.log(`\n1. Init: require() of the bundled handler, ${COLD_RUNS} fresh processes per variant, interleaved (ms)`);
  const measures: Array<[string, number, (r: ColdStart) => number]> = [
    ['require median', 0.5, (r) => r.requireMs],
    ['require p90', 0.9, (r) => r.requireMs],
    // Informational: the reference loads its HTTP client lazily, on the first export.
    ['1st invoke median', 0.5, (r) => r.firstInvokeMs],
    ['require+1st median', 0.5, (r) => r.requireMs + r.firstInvokeMs],
  ];
  const rows = measures.map(([label, p, pick], i) => {
    const [bare, ours, ref] = VARIANTS.map((v) => percentile(runs[v].map(pick), p)) as [number, number, number];
    const gated = i === 0;
    const result = gated ? verdict(`init overhead ${fixed(ours - bare)} ms <= ${TARGET.initMs} ms (require median)`, ours - bare, TARGET.initMs) : '';
    return [label, fixed(bare), fixed(ours), fixed(ref), fixed(ours - bare), fixed(ref - bare), ratio(ours - bare, ref - bare), gated ? `<= ${TARGET.initMs}` : '', result];
  });
  printTable(['', 'bare', 'ours', 'reference', 'ours-bare', 'ref-bare', 'ovh ours/ref', 'target', 'result'], rows);
}

function reportWarm(warm: PerVariant<WarmResult>): void {
  console.log(`\n2. Warm: wall time of one invocation, ${WARMUP} warm-up + ${MEASURED} measured per span count (ms)`);
  const rows: string[][] = [];
  for (const spans of SPAN_COUNTS) {
    for (const [label, p, limit] of [['p50', 0.5, TARGET.p50Ms], ['p99', 0.99, TARGET.p99Ms]] as const) {
      const [bare, ours, ref] = VARIANTS.map((v) => percentile(warm[v].runs[spans] ?? [], p)) as [number, number, number];
      const name = `${spans} span${spans === 1 ? '' : 's'} ${label}`;
      rows.push([name, fixed(bare, 3), fixed(ours, 3), fixed(ref, 3), fixed(ours - bare, 3), fixed(ref - bare, 3),
        ratio(ours - bare, ref - bare), `<= ${limit}`, verdict(`warm ${name} overhead ${fixed(ours - bare, 3)} ms <= ${limit} ms`, ours - bare, limit)]);
    }
  }
  printTable(['', 'bare', 'ours', 'reference', 'ours-bare', 'ref-bare', 'ovh ours/ref', 'target', 'result'], rows);
  // Each traced invocation is one root span plus `spans` children; warm-up invocations export too.
  const expected = SPAN_COUNTS.reduce((sum, spans) => sum + (WARMUP + MEASURED) * (spans + 1), 0);
  for (const variant of ['ours', 'reference'] as const) {
    const got = warm[variant].spansReceived;
    console.log(`  spans received (${variant}): ${got} of ${expected} expected ${got === expected ? 'OK' : 'MISMATCH'}`);
  }
}

function reportSize(layer: { zipBytes: number; bundleBytes: number }, referenceFile: string): void {
  console.log('\n3. Size (KiB)');
  const reference = readFileSync(referenceFile);
  const zipKb = statSync(LAYER_ZIP).size / KB;
  const rows: Array<[string, number, string]> = [
    ['ours: dist/layer.zip', zipKb, ''],
    ['ours: layer index.js (minified)', layer.bundleBytes / KB, 'measured'],
    ['reference: handler bundle (minified)', reference.length / KB, 'measured'],
    ['reference: handler bundle gzip -9', gzipSync(reference, { level: 9 }).length / KB, 'measured'],
    ['OTel Lambda Node layer', REPORTED_OTEL_LAYER_KB, 'reported'],
  ];
  printTable(['artifact', 'KiB', 'source', 'zip/this', 'target', 'result'], rows.map(([name, kb, source], i) => (i === 0
    ? [name, fixed(kb, 1), 'measured', '', `<= ${TARGET.zipKb}`, verdict(`layer.zip ${fixed(kb, 1)} KiB <= ${TARGET.zipKb} KiB`, kb, TARGET.zipKb)]
    : [name, fixed(kb, 1), source, ratio(zipKb, kb), '', ''])));
}

function reportRss(warm: PerVariant<WarmResult>): void {
  console.log('\n4. Memory: RSS of each warm child after its run (MiB)');
  const row = (label: string, pick: (w: WarmResult) => number, gated: boolean): string[] => {
    const [bare, ours, ref] = VARIANTS.map((v) => pick(warm[v]) / MB) as [number, number, number];
    return [label, fixed(bare, 1), fixed(ours, 1), fixed(ref, 1), fixed(ours - bare, 1), fixed(ref - bare, 1), ratio(ours - bare, ref - bare),
      gated ? `<= ${TARGET.rssMb}` : '', gated ? verdict(`RSS overhead ${fixed(ours - bare, 1)} MiB <= ${TARGET.rssMb} MiB (after run)`, ours - bare, TARGET.rssMb) : ''];
  };
  // The after-require row is informational: it splits the overhead into loading and running.
  printTable(['', 'bare', 'ours', 'reference', 'ours-bare', 'ref-bare', 'ovh ours/ref', 'target', 'result'], [
    row('rss after run', (w) => w.rss, true),
    row('rss after require', (w) => w.rssAfterRequire, false),
    row('heap live after gc', (w) => w.heapAfterGc, false),
  ]);
}

async function main(): Promise<void> {
  const started = performance.now();
  const layer = await buildLayer();
  const files = await bundleHandlers();
  const receiver = await startReceiver();
  // A minimal, fixed environment: the caller's GOVERNANCE_*/OTEL_*/NODE_OPTIONS must not leak into the runs.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '', NODE_PATH: LAYER_NODE_PATH, GOVERNANCE_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, AWS_LAMBDA_FUNCTION_NAME: 'bench', AWS_REGION: 'us-east-1',
  };
  console.log(`lambda-governance layer benchmark: node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, receiver ${receiver.url} (own process)`);
  const init = await measureInit(files, env);
  const warm = await measureWarm(files, env, receiver);
  reportInit(init);
  reportWarm(warm);
  reportSize(layer, files.reference);
  reportRss(warm);
  console.log(`\nTargets (ours over bare): ${verdicts.filter((v) => v.startsWith('PASS')).length}/${verdicts.length} PASS`);
  for (const line of verdicts) console.log(`  ${line}`);
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s; bundles in dist/bench/)`);
}

await runBenchmark(main);
