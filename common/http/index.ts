export { HttpTransport, type HttpResponse } from './transport.js';
export { backoffDelay, retryAfterMs, sleep, waitForRetry } from './backoff.js';
