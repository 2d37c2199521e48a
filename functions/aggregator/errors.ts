export { ConfigurationError } from '../../common/env.js';

/**
 * Honeycomb refused the whole request for a reason retrying cannot fix (401 unknown key, 403 administrative
 * throttling, 404 dataset not found). The invocation fails loudly; the stream keeps the data.
 */
export class HoneycombRejectedError extends Error {
  public constructor(public readonly status: number, message: string, options?: { cause?: unknown }) {
    super(`Honeycomb answered ${status} for the whole batch: ${message}. Check HONEYCOMB_SECRET / HONEYCOMB_API_KEY, HONEYCOMB_API_HOST and HONEYCOMB_DATASET`, options);
    this.name = 'HoneycombRejectedError';
  }
}
