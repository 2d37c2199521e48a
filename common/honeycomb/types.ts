/** Honeycomb Events API shapes (reference/honeycomb-api.md §2), shared by the aggregator and the local stand-in. */
export type FieldValue = string | number | boolean;
export type EventData = Record<string, FieldValue>;

/** One element of a POST /1/batch body. */
export interface BatchEvent {
  data: EventData;
  /** RFC3339 with sub-second precision. */
  time: string;
  /** Omitted when 1, as libhoney-go does. */
  samplerate?: number;
}

/** One element of the /1/batch response array, positionally aligned with the request. */
export interface BatchEventStatus {
  status: number;
  error?: string;
}

/** Honeycomb's documented limits (§2.1). */
export const HONEYCOMB_LIMITS = {
  /** Fields per event. */
  maxFields: 2_000,
  /** An event must be less than this many bytes of uncompressed JSON. */
  maxEventBytes: 1_000_000,
  /** Clients split batches at this many bytes of serialized body. */
  maxBatchBytes: 5_000_000,
  /** String fields longer than this are truncated by Honeycomb (husky fieldSizeMax). */
  maxStringBytes: 65_535,
} as const;

/** The default API host; the EU one is https://api.eu1.honeycomb.io. */
export const US_API_HOST = 'https://api.honeycomb.io';
