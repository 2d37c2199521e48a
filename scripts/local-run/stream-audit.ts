/**
 * What the layer put on the stream, read back independently of the aggregator: every span with its
 * resource, which invocations' root spans arrived, and what the layer itself reported dropping. This is the
 * ground truth the summary checks delivery against.
 */
import { decodeTraceRequestProtobuf, type Attributes, type OtlpSpan } from '../../common/otlp/index.js';
import { decodeStreamRecord } from '../../common/stream-record.js';
import type { LocalKinesis } from '../local/kinesis.js';

export interface StreamSpan { span: OtlpSpan; resource: Attributes; shardId: string; sequenceNumber: string }

export interface StreamAudit {
  records: number;
  /** Records that are not governance stream records (they belong in the dead-letter queue). */
  malformedRecords: number;
  spans: StreamSpan[];
  /** faas.invocation_id of every root span. */
  invocationIds: Set<string>;
  /** Sum of genops.telemetry.spans_dropped over root spans. */
  layerDropped: number;
  /** genops.telemetry.spans_carried_over on the last root span of each environment is still held when it stops. */
  lastCarriedOver: number;
}

export async function auditStream(kinesis: LocalKinesis, stream: string): Promise<StreamAudit> {
  const audit: StreamAudit = { records: 0, malformedRecords: 0, spans: [], invocationIds: new Set(), layerDropped: 0, lastCarriedOver: 0 };
  const lastRootByInstance = new Map<string, { end: number; carried: number }>();
  for (const record of await kinesis.readAll(stream)) {
    audit.records++;
    let decoded;
    try {
      decoded = decodeTraceRequestProtobuf(decodeStreamRecord(record.data));
    } catch {
      audit.malformedRecords++;
      continue;
    }
    for (const rs of decoded) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          audit.spans.push({ span, resource: rs.resource, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
          if (span.parentSpanId !== '') continue;
          const id = span.attributes['faas.invocation_id'];
          if (typeof id === 'string') audit.invocationIds.add(id);
          const dropped = span.attributes['genops.telemetry.spans_dropped'];
          if (typeof dropped === 'number') audit.layerDropped += dropped;
          const instance = String(rs.resource['faas.instance'] ?? span.attributes['faas.instance'] ?? '');
          const carried = span.attributes['genops.telemetry.spans_carried_over'];
          const last = lastRootByInstance.get(instance);
          if (!last || last.end < span.endTimeUnixNano) lastRootByInstance.set(instance, { end: span.endTimeUnixNano, carried: typeof carried === 'number' ? carried : 0 });
        }
      }
    }
  }
  for (const { carried } of lastRootByInstance.values()) audit.lastCarriedOver += carried;
  return audit;
}

/** A governance field of a span: its own attribute, else its resource's. */
export function field(s: StreamSpan, name: string): string {
  const value = s.span.attributes[name] ?? s.resource[name];
  return typeof value === 'string' ? value : '';
}

export function num(s: StreamSpan, name: string): number {
  const value = s.span.attributes[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
