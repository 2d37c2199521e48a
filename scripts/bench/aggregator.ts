/**
 * npm run bench:aggregator: decode → convert → roll up → serialize → gzip of a full 10,000-record batch,
 * ours against the reference approach (scripts/bench/aggregator/reference.ts), each in its own process
 * (bundled with esbuild, one core's worth of work: everything runs on the main thread), in one run.
 * Reports spans per second, the ratio, and peak RSS against the targets; always exits 0.
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeWorkload } from './aggregator/workload.js';
import { fixed, killChildren, percentile, printTable, ratio, runMarked } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = join(here, '..', '..', 'dist', 'bench');
const RECORDS = 10_000;
const WARMUP = 2;
const RUNS = 7;
const TARGET = { spansPerSecond: 100_000, peakRssMb: 256 };
const VARIANTS = ['ours', 'reference'] as const;

interface RunResult { timesMs: number[]; events: number; gzipBytes: number; rssBeforeMb: number; peakRssMb: number }

mkdirSync(OUT_DIR, { recursive: true });
const workloadFile = join(OUT_DIR, 'aggregator-batch.json');
const runner = join(OUT_DIR, 'aggregator-runner.cjs');
try {
  const workload = writeWorkload(workloadFile, RECORDS);
  await build({
    entryPoints: [join(here, 'aggregator', 'runner.ts')], outfile: runner, bundle: true, format: 'cjs', platform: 'node',
    target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning',
  });
  console.log(`bench:aggregator on ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores), node ${process.version}`);
  console.log(`batch: ${RECORDS} records, ${workload.spans} spans, ${fixed(workload.payloadBytes / 1_048_576)} MiB of record data (${fixed(workload.eventBytes / 1_048_576)} MiB as the Lambda event JSON)`);
  const results = {} as Record<(typeof VARIANTS)[number], RunResult>;
  for (const variant of VARIANTS) {
    results[variant] = await runMarked<RunResult>(['--expose-gc', runner, variant, workloadFile, String(WARMUP), String(RUNS)], process.env, 600_000);
  }
  const rate = (r: RunResult): number => workload.spans / (percentile(r.timesMs, 0.5) / 1000);
  const ours = results.ours;
  const ref = results.reference;
  console.log(`\nPipeline per batch, median of ${RUNS} runs after ${WARMUP} warm-up runs`);
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
  printTable(['measure', 'ours', 'reference', 'ours/ref', 'target', 'result'], [
    ['batch time median (ms)', fixed(percentile(ours.timesMs, 0.5), 1), fixed(percentile(ref.timesMs, 0.5), 1), ratio(percentile(ours.timesMs, 0.5), percentile(ref.timesMs, 0.5)), '', ''],
    ['batch time max (ms)', fixed(Math.max(...ours.timesMs), 1), fixed(Math.max(...ref.timesMs), 1), ratio(Math.max(...ours.timesMs), Math.max(...ref.timesMs)), '', ''],
    ['spans/s per core', fixed(rate(ours), 0), fixed(rate(ref), 0), ratio(rate(ours), rate(ref)), `>= ${TARGET.spansPerSecond}`, verdict(rate(ours) >= TARGET.spansPerSecond)],
    ['events out (incl. roll-ups)', String(ours.events), String(ref.events), '', '', ''],
    ['gzip bytes out (KiB)', fixed(ours.gzipBytes / 1024, 0), fixed(ref.gzipBytes / 1024, 0), ratio(ours.gzipBytes, ref.gzipBytes), '', ''],
    ['RSS with batch loaded (MiB)', fixed(ours.rssBeforeMb, 1), fixed(ref.rssBeforeMb, 1), '', '', ''],
    ['peak RSS (MiB)', fixed(ours.peakRssMb, 1), fixed(ref.peakRssMb, 1), ratio(ours.peakRssMb, ref.peakRssMb), `<= ${TARGET.peakRssMb}`, verdict(ours.peakRssMb <= TARGET.peakRssMb)],
  ]);
} finally {
  killChildren();
}
