import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { describeEvent, extractContext, parseTraceparent } from '../../layers/governance/src/trigger.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const TP = `00-${TRACE}-${SPAN}-01`;

describe('parseTraceparent', () => {
  it('accepts a valid header and rejects invalid ones', () => {
    expect(parseTraceparent(TP)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`)).toBeUndefined();
    expect(parseTraceparent(`ff-${TRACE}-${SPAN}-01`)).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(42)).toBeUndefined();
  });
});

describe('describeEvent', () => {
  it.each([
    ['API Gateway v1', { httpMethod: 'GET', headers: { traceparent: TP }, requestContext: { httpMethod: 'GET' } }],
    ['API Gateway v2', { version: '2.0', headers: { traceparent: TP }, requestContext: { http: { method: 'GET' } } }],
    ['function URL', { version: '2.0', headers: { TraceParent: TP }, requestContext: { http: { method: 'POST' }, domainName: 'x.lambda-url.us-east-1.on.aws' } }],
    ['ALB (multi-value headers)', { httpMethod: 'GET', multiValueHeaders: { traceparent: [TP] }, requestContext: { elb: { targetGroupArn: 'arn' } } }],
  ])('continues the caller trace from %s', (_name, event) => {
    const info = describeEvent(event);
    expect(info).toMatchObject({ trigger: 'http', kind: SpanKind.SERVER, http: true });
    expect(info.parent).toMatchObject({ traceId: TRACE, spanId: SPAN });
  });

  it('continues from an SQS message attribute and links every message of a batch', () => {
    const other = '1af7651916cd43dd8448eb211c80319c';
    const event = { Records: [
      { eventSource: 'aws:sqs', messageAttributes: { traceparent: { stringValue: TP, dataType: 'String' } } },
      { eventSource: 'aws:sqs', messageAttributes: { traceparent: { stringValue: `00-${other}-${SPAN}-01`, dataType: 'String' } } },
    ] };
    const info = describeEvent(event);
    expect(info).toMatchObject({ trigger: 'pubsub', kind: SpanKind.CONSUMER });
    expect(info.parent?.traceId).toBe(TRACE);
    expect(info.links.map((l) => l.context.traceId)).toEqual([TRACE, other]);
  });

  it('classifies other triggers', () => {
    expect(describeEvent({ Records: [{ eventSource: 'aws:kinesis' }] }).trigger).toBe('pubsub');
    expect(describeEvent({ Records: [{ eventSource: 'aws:dynamodb' }] }).trigger).toBe('datasource');
    expect(describeEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).trigger).toBe('timer');
    expect(describeEvent({ source: 'app', 'detail-type': 'Order', detail: { traceparent: TP } }).parent?.traceId).toBe(TRACE);
    expect(describeEvent('just a string').trigger).toBe('other');
    expect(describeEvent(null).trigger).toBe('other');
  });
});

describe('extractContext', () => {
  const event = {
    headers: { 'X-Customer': 'acme' },
    body: JSON.stringify({ feature: 'summarise', tenant: { id: 42 } }),
    requestContext: { http: { method: 'POST' }, authorizer: { jwt: { claims: { sub: 'user-7' } } } },
  };
  it('reads headers case-insensitively, authorizer claims and paths into a JSON body', () => {
    expect(extractContext(event, { customer_id: 'header:x-customer', user_id: 'claim:sub', feature: 'path:body.feature', tenant: 'path:body.tenant.id' }))
      .toEqual({ customer_id: 'acme', user_id: 'user-7', feature: 'summarise', tenant: '42' });
  });
  it('skips what is absent and never throws on odd events', () => {
    expect(extractContext(event, { customer_id: 'header:absent', x: 'path:body.nope.deeper' })).toEqual({});
    expect(extractContext({ body: '{broken' }, { f: 'path:body.a' })).toEqual({});
    expect(extractContext(undefined, { f: 'claim:sub' })).toEqual({});
  });
});
