import type { GovernanceConfig } from '../config.js';
import { KinesisExporter } from './kinesis.js';
import { OtlpHttpExporter } from './otlp.js';
import type { SpanExporter } from './types.js';

/** Builds the configured exporter; only that exporter's AWS SDK client is loaded. */
export function createExporter(config: GovernanceConfig): SpanExporter {
  if (config.exporter === 'kinesis') return new KinesisExporter(config.kinesis!, config.region);
  return new OtlpHttpExporter(config.otlp!, config.region);
}

export type { SpanExporter, ExportRequest, ExportResult } from './types.js';
