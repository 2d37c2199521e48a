import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface ExportRequest {
  /** Aborted when the flush deadline passes; every wait and request must honour it. */
  signal: AbortSignal;
  /** Epoch ms by which the export must be over. */
  deadline: number;
}

export interface ExportResult {
  /** Not delivered, worth retrying with the next flush. */
  retry: ReadableSpan[];
  /** Refused for good (a permanent 4xx, an impossible record); counted as dropped. */
  rejected: number;
}

export interface SpanExporter {
  export(spans: ReadableSpan[], request: ExportRequest): Promise<ExportResult>;
}

export const DELIVERED: ExportResult = Object.freeze({ retry: [], rejected: 0 }) as ExportResult;
