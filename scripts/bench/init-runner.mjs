// One cold start: times require() of a bundled handler file in a fresh process, then its first invocation
// (one span), where lazily loaded code such as an HTTP client shows up. Exits right away, so handles a
// telemetry library keeps open cannot hold the process.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { lambdaContext } from './lambda-context.mjs';

const require = createRequire(import.meta.url);
const t0 = performance.now();
const { handler } = require(process.argv[2]);
const requireMs = performance.now() - t0;
const context = lambdaContext();
const t1 = performance.now();
await handler({ spans: 1 }, context);
const firstInvokeMs = performance.now() - t1;
writeSync(1, `__bench__${JSON.stringify({ requireMs, firstInvokeMs })}\n`);
process.exit(0);
