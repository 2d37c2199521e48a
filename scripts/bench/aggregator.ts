/**
 * npm run bench:aggregator: decode → convert → roll up → serialize → gzip of a full 10,000-record batch,
 * ours against the reference approach (scripts/bench/aggregator/reference.ts), each in its own process
 * (bundled with esbuild, one core's worth of work: everything runs on the main thread), in one run.
 * Reports spans per second, the ratio, and peak RSS (also with the heap capped as in a 256 MB function)
 * against the targets; always exits 0.
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
/** A 256 MB function: V8's old space capped below it, leaving room for the runtime and native memory. */
const LAMBDA_256_HEAP = '--max-old-space-size=192';
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
  const capped = {} as Record<(typeof VARIANTS)[number], RunResult>;
  for (const variant of VARIANTS) {
    results[variant] = await runMarked<RunResult>([runner, variant, workloadFile, String(WARMUP), String(RUNS)], process.env, 600_000);
    capped[variant] = await runMarked<RunResult>([LAMBDA_256_HEAP, runner, variant, workloadFile, String(WARMUP), String(RUNS)], process.env, 600_000);
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
    ['peak RSS, heap uncapped (MiB)', fixed(ours.peakRssMb, 1), fixed(ref.peakRssMb, 1), ratio(ours.peakRssMb, ref.peakRssMb), '', ''],
  ]);
  console.log(`\nAs in a 256 MB function (${LAMBDA_256_HEAP}): V8 collects sooner instead of growing the heap`);
  printTable(['measure', 'ours', 'reference', 'ours/ref', 'target', 'result'], [
    ['batch time median (ms)', fixed(percentile(capped.ours.timesMs, 0.5), 1), fixed(percentile(capped.reference.timesMs, 0.5), 1), ratio(percentile(capped.ours.timesMs, 0.5), percentile(capped.reference.timesMs, 0.5)), '', ''],
    ['spans/s per core', fixed(rate(capped.ours), 0), fixed(rate(capped.reference), 0), ratio(rate(capped.ours), rate(capped.reference)), '', ''],
    ['peak RSS (MiB)', fixed(capped.ours.peakRssMb, 1), fixed(capped.reference.peakRssMb, 1), ratio(capped.ours.peakRssMb, capped.reference.peakRssMb), `<= ${TARGET.peakRssMb}`, verdict(capped.ours.peakRssMb <= TARGET.peakRssMb)],
  ]);
} finally {
  killChildren();
}
