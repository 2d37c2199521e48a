/** Our pipeline, the aggregator's own stages in the handler's order, without the network. */
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent } from 'aws-lambda';
import { batchBody, splitBatches } from '../../../functions/aggregator/delivery.js';
import { isOversize, toOutgoing } from '../../../functions/aggregator/outgoing.js';
import { buildRollups } from '../../../functions/aggregator/rollup.js';
import { Sampler } from '../../../functions/aggregator/sampling.js';
import { transformRecords } from '../../../functions/aggregator/transform.js';

const sampler = new Sampler(1, 0.05);

export function runPipeline(event: KinesisStreamEvent): { events: number; gzipBytes: number } {
  const { converted } = transformRecords(event.Records, sampler);
  const events = converted.events;
  for (const { event: rollup, record } of buildRollups(converted.contributions, Infinity)) {
    const outgoing = toOutgoing(rollup, record);
    if (!isOversize(outgoing)) events.push(outgoing);
  }
  let gzipBytes = 0;
  for (const batch of splitBatches(events, 2_000, 5_000_000)) gzipBytes += gzipSync(batchBody(batch), { level: 1 }).length;
  return { events: events.length, gzipBytes };
}
