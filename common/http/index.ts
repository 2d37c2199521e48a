export { HttpTransport, type HttpResponse } from './transport.js';
export { backoffDelay, FLUSH_BACKOFF, retryAfterMs, sleep, waitForRetry, type BackoffPolicy } from './backoff.js';
