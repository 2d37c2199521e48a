// What the OpenTelemetry Lambda instrumentation does, bundled into the handler: a BasicTracerProvider with a
// BatchSpanProcessor and the OTLP/proto exporter, a SERVER root span per invocation and forceFlush() before
// returning. No context manager is installed, so the parent context is passed explicitly.
import { context as otelContext, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context } from 'aws-lambda';
import { work, type BenchEvent } from './work.js';

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench';
const endpoint = (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': functionName, 'cloud.provider': 'aws', 'faas.name': functionName }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});
const tracer = provider.getTracer('bench-reference');

export const handler = async (event: BenchEvent | undefined, context: Context): Promise<number> => {
  const root = tracer.startSpan(functionName, {
    kind: SpanKind.SERVER,
    attributes: { 'faas.execution': context.awsRequestId, 'cloud.resource_id': context.invokedFunctionArn, 'faas.coldstart': false },
  });
  const parent = trace.setSpan(otelContext.active(), root);
  try {
    for (let i = 0; i < (event?.spans ?? 0); i++) {
      await tracer.startActiveSpan('work', {}, parent, async (span) => {
        try {
          return await work();
        } finally {
          span.end();
        }
      });
    }
    return 1;
  } finally {
    root.end();
    await provider.forceFlush();
  }
};
