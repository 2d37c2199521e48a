/**
 * npm start (for now): builds the layer and the sample chat function, runs the function under the local
 * Lambda runtime (frozen after every response, as Lambda does), sends it a few requests and prints the spans
 * that had reached the OTLP receiver by the time each freeze began. Everything listens on 127.0.0.1 only.
 *
 *   npm start -- --invocations 6 --exporter kinesis
 */
import { parseArgs } from 'node:util';
import { decodeTraceRequestProtobuf } from '../common/otlp/index.js';
import { decodeStreamRecord } from '../common/stream-record.js';
import { buildLayer, LAYER_NODE_PATH } from './build-layer.js';
import { buildSamples } from './build-functions.js';
import { LocalKinesis } from './local/kinesis.js';
import { LocalLambda } from './local/local-lambda.js';
import { OtlpReceiver, type ReceivedSpan } from './local/otlp-receiver.js';

const { values: args } = parseArgs({
  options: {
    invocations: { type: 'string', default: '5' },
    exporter: { type: 'string', default: 'otlp' },
  },
});
const invocations = Number(args.invocations);
if (!Number.isInteger(invocations) || invocations < 1) throw new Error('--invocations must be a positive whole number');
if (args.exporter !== 'otlp' && args.exporter !== 'kinesis') throw new Error('--exporter must be otlp or kinesis');

const PROMPTS = [
  { prompt: 'How do I rotate my API key?', customer: 'acme', feature: 'support-chat' },
  { prompt: 'Summarise the attached contract in three bullet points, please.', customer: 'globex', feature: 'summarise', model: 'claude-haiku-4' },
  { prompt: 'My SSN is 000-00-0000, store it', customer: 'acme', feature: 'support-chat' },
  { prompt: 'Write a haiku about serverless cold starts', customer: 'initech', feature: 'support-chat', model: 'gpt-4o-mini' },
];

function httpEvent(body: unknown, user: string): unknown {
  return {
    version: '2.0', routeKey: 'POST /chat', rawPath: '/chat', headers: { 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/chat' }, authorizer: { jwt: { claims: { sub: user } } } },
    body: JSON.stringify(body), isBase64Encoded: false,
  };
}

function printSpans(spans: ReceivedSpan[]): void {
  const byParent = new Map<string, ReceivedSpan[]>();
  for (const s of spans) byParent.set(s.parentSpanId, [...(byParent.get(s.parentSpanId) ?? []), s]);
  const ids = new Set(spans.map((s) => s.spanId));
  const roots = spans.filter((s) => !ids.has(s.parentSpanId));
  const print = (span: ReceivedSpan, depth: number): void => {
    const genops = Object.entries(span.attributes)
      .filter(([k]) => k.startsWith('genops.') || k.startsWith('gen_ai.usage') || k === 'faas.coldstart')
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(6)) : String(v)}`);
    const ms = ((span.endTimeUnixNano - span.startTimeUnixNano) / 1e6).toFixed(1);
    console.log(`${'  '.repeat(depth + 1)}${depth === 0 ? '●' : '└'} ${span.name} (${ms} ms${span.status.code === 2 ? ', ERROR' : ''})`);
    if (genops.length > 0) console.log(`${'  '.repeat(depth + 3)}${genops.join('  ')}`);
    for (const child of byParent.get(span.spanId) ?? []) print(child, depth + 1);
  };
  for (const root of roots) print(root, 0);
}

const receiver = await OtlpReceiver.start();
const kinesis = args.exporter === 'kinesis' ? await LocalKinesis.start() : undefined;
let lambda: LocalLambda | undefined;
const stopAll = async (): Promise<void> => {
  await lambda?.stop();
  await kinesis?.stop();
  await receiver.stop();
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

try {
  const { zipBytes } = await buildLayer();
  const samples = await buildSamples();
  console.log(`built dist/layer.zip (${(zipBytes / 1024).toFixed(1)} KiB) and the sample chat function`);
  const env: Record<string, string> = { GOVERNANCE_EXPORTER: args.exporter, GOVERNANCE_ENVIRONMENT: 'local' };
  if (kinesis) {
    await kinesis.createStream('governance-local');
    Object.assign(env, { GOVERNANCE_STREAM_NAME: 'governance-local', AWS_ENDPOINT_URL_KINESIS: kinesis.url });
  } else {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  }
  lambda = await LocalLambda.start({
    handler: `${samples.chat}#handler`, functionName: 'support-chat', env,
    nodePath: [LAYER_NODE_PATH, new URL('../node_modules', import.meta.url).pathname],
    onLog: (line) => console.log(`  [function] ${line}`),
  });
  console.log(`running ${invocations} invocation(s) of support-chat under the local Lambda runtime, exporter ${args.exporter}\n`);
  let lost = 0;
  let delivered = 0;
  for (let i = 0; i < invocations; i++) {
    const body = PROMPTS[i % PROMPTS.length]!;
    const before = receiver.spans.length;
    const outcome = await lambda.invoke(httpEvent(body, `user-${(i % 3) + 1}`));
    // The process is frozen now: only spans that already arrived count.
    let arrived: ReceivedSpan[];
    if (kinesis) {
      const records = await kinesis.readAll('governance-local');
      arrived = records.flatMap((r) => decodeTraceRequestProtobuf(decodeStreamRecord(r.data))
        .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, resource: rs.resource, scope: ss.scope.name })))));
      arrived = arrived.slice(delivered);
    } else {
      arrived = receiver.spans.slice(before);
    }
    delivered += arrived.length;
    const result = outcome.error ? `error ${outcome.error.errorType}` : `status ${(outcome.result as { statusCode: number }).statusCode}`;
    console.log(`invocation ${i + 1}: ${result}, ${outcome.durationMs.toFixed(1)} ms, ${arrived.length} span(s) delivered before the freeze`);
    if (!arrived.some((s) => s.parentSpanId === '' || s.name === 'support-chat')) lost++;
    printSpans(arrived);
    console.log('');
  }
  console.log(`${delivered} spans delivered before freeze over ${invocations} invocations; invocations missing their root span: ${lost}`);
  if (lost > 0) process.exitCode = 1;
} finally {
  await stopAll();
}
