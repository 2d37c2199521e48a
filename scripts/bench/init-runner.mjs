// One cold start: times require() of a bundled handler file in a fresh process and reports it on stdout.
// Exits right away, so handles a telemetry library may have opened cannot hold the process.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const t0 = performance.now();
const mod = require(process.argv[2]);
const ms = performance.now() - t0;
if (typeof mod.handler !== 'function') throw new TypeError(`${process.argv[2]} exports no handler`);
writeSync(1, `__bench__${JSON.stringify({ ms })}\n`);
process.exit(0);
