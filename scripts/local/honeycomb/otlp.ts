/**
 * OTLP/HTTP trace ingest (§4, §11.17–18), answered as husky (Honeycomb's OTLP library) answers: protobuf or
 * JSON only (exact content type, else 415 text/plain), x-honeycomb-team required, Classic keys also need
 * x-honeycomb-dataset; errors are a google.rpc.Status in the request's encoding; success is an empty
 * ExportTraceServiceResponse. Spans become events with the shared husky mapping; Environment keys route each
 * resource by service.name, Classic keys to the header's dataset. Logs and metrics are not served.
 */
import { datasetForResource, resourceSpansToEvents } from '../../../common/honeycomb/index.js';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, type OtlpResourceSpans } from '../../../common/otlp/index.js';
import { isClassicKey, permit } from './auth.js';
import { decodeBody } from './body.js';
import { datasetNamed, materialize, type DatasetTarget } from './dataset-names.js';
import { parseEventTime, parseSampleRate, storedFields } from './event-values.js';
import { header, HONEYCOMB_ERRORS, type Exchange, type Reply, type Route, type RouteContext } from './http.js';

const CONTENT_TYPES = ['application/protobuf', 'application/x-protobuf', 'application/json'];
const UNSUPPORTED_CONTENT_TYPE = `unsupported content-type, valid types are: ${CONTENT_TYPES.join(', ')}`;
/** husky's default request body limit, applied to the raw bytes. */
const MAX_RAW_BYTES = 20 * 1024 * 1024;
/** A stand-in guard against a gzip bomb, not a Honeycomb limit. */
const MAX_DECODED_BYTES = 256 * 1024 * 1024;

/** google.rpc.Status{message}: `{"message": …}` in JSON, field 2 in protobuf (husky leaves the code unset). */
function rpcStatus(contentType: string, status: number, message: string): Reply {
  if (contentType === 'application/json') return { status, headers: { 'content-type': contentType }, body: JSON.stringify({ message }) };
  const text = Buffer.from(message, 'utf8');
  const length: number[] = [];
  for (let n = text.length; ; n >>>= 7) {
    if (n < 0x80) { length.push(n); break; }
    length.push((n & 0x7f) | 0x80);
  }
  return { status, headers: { 'content-type': contentType }, body: Buffer.concat([Buffer.from([0x12, ...length]), text]) };
}

function traces(exchange: Exchange, _params: string[], context: RouteContext): Reply {
  const contentType = header(exchange.headers, 'content-type');
  if (!CONTENT_TYPES.includes(contentType)) return { status: 415, headers: { 'content-type': 'text/plain' }, body: UNSUPPORTED_CONTENT_TYPE };
  const fail = (status: number, message: string): Reply => rpcStatus(contentType, status, message);
  const team = header(exchange.headers, 'x-honeycomb-team');
  if (team === '') return fail(401, "missing 'x-honeycomb-team' header");
  const classicDataset = header(exchange.headers, 'x-honeycomb-dataset');
  if (isClassicKey(team) && classicDataset === '') return fail(401, "missing 'x-honeycomb-dataset' header");
  const key = context.keys.find(team);
  if (!key) return fail(401, HONEYCOMB_ERRORS.unknownKey);
  const denied = permit(key, 'events', context);
  if (denied) return fail(denied.status, HONEYCOMB_ERRORS.unknownKey);

  if (exchange.body.length > MAX_RAW_BYTES) return fail(400, `failed to parse OTLP request body: over ${MAX_RAW_BYTES} bytes`);
  const decoded = decodeBody(exchange.body, header(exchange.headers, 'content-encoding'), MAX_DECODED_BYTES);
  if (!decoded.ok) return fail(400, `failed to parse OTLP request body: ${decoded.detail}`);
  let request: OtlpResourceSpans[];
  try {
    request = contentType === 'application/json' ? decodeTraceRequestJson(decoded.body.toString('utf8')) : decodeTraceRequestProtobuf(decoded.body);
  } catch (error) {
    return fail(400, `failed to parse OTLP request body: ${(error as Error).message}`);
  }

  // Every resource's dataset is checked before anything is stored, so a refused request stores nothing.
  const batches: { target: DatasetTarget; resource: OtlpResourceSpans }[] = [];
  for (const resource of request) {
    const target = datasetNamed(key.classic ? classicDataset : datasetForResource(resource.resource), key, context, true);
    if ('status' in target) return fail(target.status, HONEYCOMB_ERRORS.datasetNotFound);
    batches.push({ target, resource });
  }
  const receivedAt = new Date(context.clock());
  for (const { target, resource } of batches) {
    for (const event of resourceSpansToEvents([resource])) {
      const dataset = materialize(target, key, context);
      context.store.events.push({
        dataset: dataset.slug, environment: dataset.environment, time: parseEventTime(event.time, receivedAt),
        samplerate: parseSampleRate(event.samplerate), data: storedFields(event.data), receivedAt, keyId: key.id,
      });
    }
  }
  return contentType === 'application/json'
    ? { status: 200, headers: { 'content-type': contentType }, body: '{}' }
    : { status: 200, headers: { 'content-type': contentType }, body: Buffer.alloc(0) };
}

export const otlpRoutes: Route[] = [{ method: 'POST', path: /^\/v1\/traces$/, handle: traces }];
