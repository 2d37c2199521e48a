/**
 * Decoded records → outgoing Honeycomb events (husky's mapping, common/honeycomb/span-events.ts), sampled,
 * plus the cost contributions roll-ups are built from. Sampling decides per trace over the whole batch, so a
 * notable span keeps its trace's other spans too.
 */
import {
  HONEYCOMB_LIMITS, ObjectSink, rfc3339FromNanos, writeAttributes, writeLinkFields, writeSpanEventFields, writeSpanFields,
  type BatchEvent, type FieldSink,
} from '../../common/honeycomb/index.js';
import type { Attributes, OtlpResourceSpans } from '../../common/otlp/index.js';
import { batchEventJson, JsonFieldSink, resourceFragment } from './event-json.js';
import type { BudgetChargeRules, RecordCharges } from './budget-charges.js';
import { contributionOf, type Contribution } from './rollup.js';
import { isOversize, jsonOutgoing, toOutgoing, type OversizeEvent, type Outgoing } from './outgoing.js';
import type { Sampler } from './sampling.js';

export interface RecordRequests {
  record: number;
  requests: OtlpResourceSpans[][];
}

export interface Converted {
  events: Outgoing[];
  oversize: OversizeEvent[];
  contributions: Contribution[];
  /** Per record, what its costed spans add to budget counters (empty without budgets). */
  charges: Map<number, RecordCharges>;
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

/**
 * Serializes one event through the JSON sink. When the event might break a Honeycomb limit it is built as an
 * object instead and checked exactly, so a rejection carries the event itself.
 */
class EventWriter {
  private readonly sink = new JsonFieldSink();
  private resource: { json: string; count: number } = { json: '', count: 0 };
  private resourceAttributes: Attributes = {};

  public constructor(private readonly out: Converted) {}

  public useResource(resource: Attributes): void {
    this.resourceAttributes = resource;
    this.resource = resourceFragment(resource);
  }

  public write(record: number, time: string, samplerate: number, fields: (sink: FieldSink) => void): void {
    this.sink.reset(this.resource.json, this.resource.count);
    fields(this.sink);
    const outgoing = this.sink.count <= HONEYCOMB_LIMITS.maxFields ? jsonOutgoing(batchEventJson(this.sink.text, time, samplerate), record) : undefined;
    if (outgoing !== undefined) {
      this.out.events.push(outgoing);
      return;
    }
    const sink = new ObjectSink();
    writeAttributes(sink, this.resourceAttributes);
    fields(sink);
    const event: BatchEvent = samplerate === 1 ? { data: sink.data, time } : { data: sink.data, time, samplerate };
    const checked = toOutgoing(event, record);
    if (isOversize(checked)) this.out.oversize.push(checked);
    else this.out.events.push(checked);
  }
}

/**
 * Converts records as they are decoded, so each record's decoded spans die young (cheap to collect). With
 * sampling on, the caller first finds the notable traces of the whole batch (notableTraces) and passes them in.
 */
export class Converter {
  public readonly out: Converted = { events: [], oversize: [], contributions: [], charges: new Map(), spans: 0, sampledOut: 0 };
  private readonly writer = new EventWriter(this.out);

  public constructor(private readonly sampler: Sampler, private readonly notable?: ReadonlySet<string>, private readonly budgets?: BudgetChargeRules) {}

  public add(record: number, requests: readonly OtlpResourceSpans[][]): void {
    const { out, writer, sampler, notable } = this;
    for (const request of requests) {
      for (const rs of request) {
        writer.useResource(rs.resource);
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans) {
            out.spans++;
            const contribution = contributionOf(span, rs.resource, record);
            if (contribution !== undefined) {
              out.contributions.push(contribution);
              if (this.budgets !== undefined && contribution.costUsd > 0) {
                let charges = out.charges.get(record);
                if (charges === undefined) out.charges.set(record, (charges = new Map()));
                this.budgets.charge(charges, span, rs.resource, contribution.costUsd);
              }
            }
            let samplerate = 1;
            if (notable !== undefined && !notable.has(span.traceId)) {
              if (!sampler.keepsTrace(span.traceId)) {
                out.sampledOut++;
                continue;
              }
              samplerate = sampler.rate;
            }
            const start = rfc3339FromNanos(span.startTimeUnixNano);
            writer.write(record, start, samplerate, (sink) => writeSpanFields(sink, span, ss.scope));
            for (const event of span.events) {
              writer.write(record, rfc3339FromNanos(event.timeUnixNano), samplerate, (sink) => writeSpanEventFields(sink, span, event));
            }
            for (const link of span.links) writer.write(record, start, samplerate, (sink) => writeLinkFields(sink, span, link));
          }
        }
      }
    }
  }
}

/** Converts decoded records in one go, sampling decided over all of them. */
export function convertRecords(records: readonly RecordRequests[], sampler: Sampler, budgets?: BudgetChargeRules): Converted {
  const converter = new Converter(sampler, sampler.enabled ? notableTraces(records, sampler) : undefined, budgets);
  for (const { record, requests } of records) converter.add(record, requests);
  return converter.out;
}
