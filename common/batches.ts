/**
 * Packs items, in order, into batches under a count and a byte limit: PutRecords calls, SQS SendMessageBatch
 * calls and Honeycomb /1/batch bodies all have both. An item larger than the byte limit goes alone.
 */
export function packBatches<T>(items: readonly T[], sizeOf: (item: T) => number, maxItems: number, maxBytes: number): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (batch.length > 0 && (batch.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
