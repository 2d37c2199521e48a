export { HttpTransport, type HttpResponse } from './transport.js';
export { retryAfterMs, waitForRetry, type BackoffPolicy } from './backoff.js';
