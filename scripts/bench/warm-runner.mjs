// Warm invocations of one handler in this process: for each span count, a warm-up then timed invocations
// (wall time of `await handler(event, context)` only). Reports the times and RSS on stdout.
// Usage: node warm-runner.mjs <handler.cjs> <spanCounts comma-separated> <warmup> <measured>
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { lambdaContext } from './lambda-context.mjs';

const [file, countsArg, warmupArg, measuredArg] = process.argv.slice(2);
const { handler } = createRequire(import.meta.url)(file);
const rssAfterRequire = process.memoryUsage().rss;

const runs = {};
for (const spans of countsArg.split(',').map(Number)) {
  const event = { spans };
  for (let i = 0; i < Number(warmupArg); i++) await handler(event, lambdaContext());
  const times = new Array(Number(measuredArg));
  for (let i = 0; i < times.length; i++) {
    const context = lambdaContext();
    const t0 = performance.now();
    await handler(event, context);
    times[i] = performance.now() - t0;
  }
  runs[spans] = times;
}
const rss = process.memoryUsage().rss;
// Retained memory: what is still live after a full collection (started with --expose-gc).
globalThis.gc?.();
const { heapUsed: heapAfterGc } = process.memoryUsage();
writeSync(1, `__bench__${JSON.stringify({ runs, rss, rssAfterRequire, heapAfterGc })}\n`);
process.exit(0);
