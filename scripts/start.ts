/**
 * npm start: the whole pipeline on 127.0.0.1 (see scripts/local-run/run.ts). Ships to the local Honeycomb
 * stand-in, or to Honeycomb with HONEYCOMB_API_KEY or HONEYCOMB_SECRET set. Exits 1 if any span was lost.
 *
 *   npm start -- --duration 30 --rate 20
 */
import { writeFileSync } from 'node:fs';
import { ConfigurationError } from '../common/env.js';
import { parseStartArgs, readHoneycombTarget, USAGE } from './local-run/options.js';
import { renderProgress, renderSummary } from './local-run/report.js';
import { runLocalPipeline, RunInterruptedError } from './local-run/run.js';

// This machine's Node version is not Lambda's; the AWS SDK's notice about Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let options;
let target;
try {
  options = parseStartArgs(process.argv.slice(2));
  target = readHoneycombTarget(process.env);
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`npm start: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === undefined) {
  console.log(USAGE);
  process.exit(0);
}

const interactive = process.stdout.isTTY === true;
const abort = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  // The first Ctrl-C stops the load and everything the run started; a second one leaves at once.
  if (++interrupts > 1) process.exit(130);
  console.log('\nstopping: the load, the functions\' environments and the local services');
  abort.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

let lastBucket = 0;
try {
  const { summary } = await runLocalPipeline(options, target, {
    signal: abort.signal,
    onStage: (message) => console.log(`${interactive ? '\r\x1b[2K' : ''}▸ ${message}`),
    onProgress: (progress) => {
      if (interactive) process.stdout.write(`\r\x1b[2K  ${renderProgress(progress)}`);
      else if (Math.floor(progress.elapsedMs / 5_000) > lastBucket) {
        // Without a terminal to redraw, one line every 5 s.
        lastBucket = Math.floor(progress.elapsedMs / 5_000);
        console.log(`  ${renderProgress(progress)}`);
      }
    },
  });
  if (interactive) process.stdout.write('\n');
  console.log(renderSummary(summary));
  console.log('Function logs are in dist/local-run/logs/.');
  if (options.reportFile) writeFileSync(options.reportFile, `${JSON.stringify(summary, null, 2)}\n`);
  if (summary.lost.spans > 0) process.exitCode = 1;
} catch (error) {
  if (!(error instanceof RunInterruptedError)) throw error;
  console.log('interrupted: every process the run started has stopped');
  process.exitCode = 130;
}
