/**
 * Trace-consistent sampling. A trace with an error, a blocked policy or a costly call anywhere in the batch is
 * kept whole at samplerate 1; any other trace is kept with probability 1/rate, decided by a hash of its trace
 * id, so every span of a trace gets the same decision even across batches and aggregators. Kept spans carry
 * samplerate = rate, and Honeycomb multiplies COUNT and SUM back by it.
 */
import type { OtlpSpan } from '../../common/otlp/index.js';

const STATUS_ERROR = 2;
const TWO_32 = 4_294_967_296;

export class Sampler {
  public constructor(public readonly rate: number, private readonly keepCostUsd: number) {}

  public get enabled(): boolean {
    return this.rate > 1;
  }

  /** Always worth keeping: an error, a blocked policy decision, or a call costing at least keepCostUsd. */
  public isNotable(span: OtlpSpan): boolean {
    if (span.status.code === STATUS_ERROR || span.attributes.error === true) return true;
    if (span.attributes['genops.policy.result'] === 'blocked') return true;
    const cost = span.attributes['genops.cost.total'];
    return typeof cost === 'number' && cost >= this.keepCostUsd;
  }

  /** Whether an unremarkable trace is in the kept 1/rate: the low 32 bits of its id, uniformly distributed. */
  public keepsTrace(traceId: string): boolean {
    const low = Number.parseInt(traceId.slice(-8), 16);
    return Number.isFinite(low) && low / TWO_32 < 1 / this.rate;
  }
}
