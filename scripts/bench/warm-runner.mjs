// Warm invocations of one handler in this process: for each span count, a warm-up then timed invocations
// (wall time of `await handler(event, context)` only). Reports the times and RSS after the run on stdout.
// Usage: node warm-runner.mjs <handler.cjs> <spanCounts comma-separated> <warmup> <measured>
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const [file, countsArg, warmupArg, measuredArg] = process.argv.slice(2);
const { handler } = createRequire(import.meta.url)(file);
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench';
let seq = 0;

function lambdaContext() {
  const deadline = Date.now() + 30_000;
  return {
    awsRequestId: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    functionName, functionVersion: '$LATEST', memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`, logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

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
writeSync(1, `__bench__${JSON.stringify({ runs, rss: process.memoryUsage().rss, invocations: seq })}\n`);
process.exit(0);
