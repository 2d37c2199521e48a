/**
 * One variant in its own process: reads the batch, runs the pipeline `warmup` + `runs` times and prints the
 * timings and the peak RSS (process.resourceUsage().maxRSS) as one marked JSON line.
 */
import { readFileSync } from 'node:fs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { runPipeline as ours } from './ours.js';
import { runPipeline as reference } from './reference.js';

const [variant, file, warmupArg, runsArg] = process.argv.slice(2);
const pipeline = variant === 'ours' ? ours : reference;
const event = JSON.parse(readFileSync(file!, 'utf8')) as KinesisStreamEvent;
const rssBeforeMb = process.memoryUsage().rss / 1_048_576;
const timesMs: number[] = [];
let last = { events: 0, gzipBytes: 0 };
for (let i = 0; i < Number(warmupArg) + Number(runsArg); i++) {
  const started = process.hrtime.bigint();
  last = pipeline(event);
  if (i >= Number(warmupArg)) timesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
}
const peakRssMb = process.resourceUsage().maxRSS / 1024;
console.log(`__bench__${JSON.stringify({ timesMs, ...last, rssBeforeMb, peakRssMb })}`);
