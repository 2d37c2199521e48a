// The execution environment's runtime loop, run in a child process by LocalLambda. It speaks the Lambda
// Runtime API (next / response / error) and models the freeze strictly: the moment the handler's promise
// settles, the response is written synchronously to fd 3 and the process stops itself (SIGSTOP) in the same
// tick, so nothing the handler left un-awaited can run before the freeze. Like nodejs24.x, it refuses
// handlers that declare three parameters unless they are response-streaming handlers.
import { writeSync } from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [file, exportName = 'handler'] = process.env.LOCAL_LAMBDA_HANDLER.split('#');
const freeze = process.env.LOCAL_LAMBDA_FREEZE !== 'off';
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${api}/2018-06-01/runtime${path}`, { method, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function report(line) {
  writeSync(3, `${JSON.stringify(line)}\n`);
  if (freeze) process.kill(process.pid, 'SIGSTOP');
}

function describeError(error) {
  return { errorType: error?.name ?? typeof error, errorMessage: error?.message ?? String(error) };
}

let handler;
try {
  const mod = await import(pathToFileURL(file).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${file} does not export a function "${exportName}"`);
  if (handler.length >= 3 && handler[STREAMING] !== 'response') {
    throw Object.assign(new Error('callback-based function handlers are not supported (handler declares 3 parameters)'), { name: 'Runtime.CallbackHandlerDeprecated' });
  }
} catch (error) {
  await request('POST', '/init/error', JSON.stringify(describeError(error)));
  writeSync(3, `${JSON.stringify({ initError: describeError(error) })}\n`);
  process.exit(1);
}

for (;;) {
  const next = await request('GET', '/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let line;
  try {
    const result = await handler(JSON.parse(next.body), context);
    line = { id, result: result === undefined ? null : result, endedAt: Date.now() };
  } catch (error) {
    line = { id, error: describeError(error), endedAt: Date.now() };
  }
  report(line);
}
