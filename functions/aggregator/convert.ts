/**
 * Decoded records → outgoing Honeycomb events (husky's mapping, common/honeycomb/span-events.ts), sampled,
 * plus the cost contributions roll-ups are built from. Sampling decides per trace over the whole batch, so a
 * notable span keeps its trace's other spans too.
 */
import { appendSpanEvents, type BatchEvent } from '../../common/honeycomb/index.js';
import type { OtlpResourceSpans } from '../../common/otlp/index.js';
import { contributionOf, type Contribution } from './rollup.js';
import { isOversize, toOutgoing, type OversizeEvent, type Outgoing } from './outgoing.js';
import type { Sampler } from './sampling.js';

export interface RecordRequests {
  record: number;
  requests: OtlpResourceSpans[][];
}

export interface Converted {
  events: Outgoing[];
  oversize: OversizeEvent[];
  contributions: Contribution[];
  spans: number;
  /** Spans left out by sampling (their span events and links go with them). */
  sampledOut: number;
}

function notableTraces(records: readonly RecordRequests[], sampler: Sampler): Set<string> {
  const notable = new Set<string>();
  for (const { requests } of records) {
    for (const request of requests) {
      for (const rs of request) {
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans) if (sampler.isNotable(span)) notable.add(span.traceId);
        }
      }
    }
  }
  return notable;
}

export function convertRecords(records: readonly RecordRequests[], sampler: Sampler): Converted {
  const out: Converted = { events: [], oversize: [], contributions: [], spans: 0, sampledOut: 0 };
  const notable = sampler.enabled ? notableTraces(records, sampler) : undefined;
  const scratch: BatchEvent[] = [];
  for (const { record, requests } of records) {
    for (const request of requests) {
      for (const rs of request) {
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans) {
            out.spans++;
            const contribution = contributionOf(span, rs.resource, record);
            if (contribution !== undefined) out.contributions.push(contribution);
            let samplerate = 1;
            if (notable !== undefined && !notable.has(span.traceId)) {
              if (!sampler.keepsTrace(span.traceId)) {
                out.sampledOut++;
                continue;
              }
              samplerate = sampler.rate;
            }
            scratch.length = 0;
            appendSpanEvents(scratch, span, rs.resource, ss.scope);
            for (const event of scratch) {
              if (samplerate !== 1) event.samplerate = samplerate;
              const outgoing = toOutgoing(event, record);
              if (isOversize(outgoing)) out.oversize.push(outgoing);
              else out.events.push(outgoing);
            }
          }
        }
      }
    }
  }
  return out;
}
