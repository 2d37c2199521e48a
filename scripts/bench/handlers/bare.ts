// Baseline: no telemetry. For warm runs it does the same awaits the traced variants do inside their spans.
import { work, type BenchEvent } from './work.js';

export const handler = async (event?: BenchEvent): Promise<number> => {
  for (let i = 0; i < (event?.spans ?? 0); i++) await work();
  return 1;
};
