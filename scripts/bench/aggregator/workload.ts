/**
 * The benchmark's input: a full Kinesis batch of 10,000 governance records as the layer writes them (one
 * flushed invocation per record: a root span and an LLM call span with the governance, cost and GenAI
 * attributes), made with the real OpenTelemetry SDK and serializer, written to disk once for every runner.
 */
import { writeFileSync } from 'node:fs';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { KinesisStreamEvent } from 'aws-lambda';
import { encodeStreamRecord } from '../../../common/stream-record.js';

const TEAMS = ['ai-eng', 'search', 'support', 'growth'];
const MODELS = ['gpt-4o-mini', 'claude-3-5-haiku', 'gpt-4o', 'llama-3-70b'];

export function buildWorkload(records: number): { event: KinesisStreamEvent; spans: number; payloadBytes: number } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'chat-api', 'cloud.provider': 'aws', 'cloud.region': 'eu-west-1', 'faas.name': 'chat-api' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('lambda-governance', '0.1.0');
  const event: KinesisStreamEvent = { Records: [] };
  let spans = 0;
  let payloadBytes = 0;
  for (let i = 0; i < records; i++) {
    exporter.reset();
    const team = TEAMS[i % TEAMS.length]!;
    const fields = { 'genops.team': team, 'genops.project': `${team}-bot`, 'genops.customer_id': `cust-${i % 97}`, 'genops.environment': 'production', 'genops.feature': 'chat' };
    const root = tracer.startSpan('chat-api', { kind: SpanKind.SERVER, attributes: { ...fields, 'faas.trigger': 'http', 'faas.invocation_id': `req-${i}`, 'faas.coldstart': i === 0, 'http.response.status_code': 200 } });
    const model = MODELS[i % MODELS.length]!;
    const llm = tracer.startSpan('chat gpt', {
      kind: SpanKind.CLIENT,
      attributes: {
        ...fields, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 400 + (i % 300), 'gen_ai.usage.output_tokens': 120 + (i % 80),
        'genops.tokens.input': 400 + (i % 300), 'genops.tokens.output': 120 + (i % 80), 'genops.tokens.total': 520 + (i % 300) + (i % 80),
        'genops.cost.total': 0.0004 + (i % 13) * 0.0001, 'genops.cost.currency': 'USD', 'genops.cost.model': model,
        'genops.policy.name': 'pii-filter', 'genops.policy.result': 'allowed',
      },
    }, trace.setSpan(context.active(), root));
    if (i % 50 === 0) llm.setStatus({ code: SpanStatusCode.ERROR, message: 'model timeout' });
    llm.end();
    root.end();
    const finished = exporter.getFinishedSpans();
    spans += finished.length;
    const record = encodeStreamRecord(ProtobufTraceSerializer.serializeRequest(finished)!);
    payloadBytes += record.length;
    event.Records.push({
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${49_000_000 + i}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/aggregator', awsRegion: 'eu-west-1',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/governance',
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: `pk-${i}`, sequenceNumber: String(49_000_000 + i),
        data: Buffer.from(record).toString('base64'), approximateArrivalTimestamp: 1_795_000_000 + i / 1000,
      },
    });
  }
  return { event, spans, payloadBytes };
}

export function writeWorkload(file: string, records: number): { spans: number; payloadBytes: number; eventBytes: number } {
  const { event, spans, payloadBytes } = buildWorkload(records);
  const json = JSON.stringify(event);
  writeFileSync(file, json);
  return { spans, payloadBytes, eventBytes: Buffer.byteLength(json) };
}
