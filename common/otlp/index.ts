export * from './types.js';
export { decodeTraceRequestProtobuf } from './decode-protobuf.js';
export { decodeTraceRequestJson } from './decode-json.js';
