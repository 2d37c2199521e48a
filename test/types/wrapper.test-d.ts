import type { APIGatewayProxyEventV2, APIGatewayProxyHandlerV2, APIGatewayProxyResultV2, Context, SQSBatchResponse, SQSEvent, SQSHandler } from 'aws-lambda';
import { describe, expectTypeOf, it } from 'vitest';
import { governance, withGovernance, type CostSummary } from 'lambda-governance';

describe('withGovernance keeps the handler types', () => {
  it('a wrapped APIGatewayProxyHandlerV2 is still one', () => {
    const original: APIGatewayProxyHandlerV2 = async () => ({ statusCode: 200, body: 'ok' });
    const wrapped = withGovernance(original, { team: 'ai-eng' });
    expectTypeOf(wrapped).toMatchTypeOf<APIGatewayProxyHandlerV2>();
    expectTypeOf(wrapped).parameter(0).toEqualTypeOf<APIGatewayProxyEventV2>();
    expectTypeOf(wrapped).returns.resolves.toEqualTypeOf<APIGatewayProxyResultV2>();
  });

  it('infers event and result from an inline async handler', () => {
    const wrapped = withGovernance(async (event: SQSEvent) => event.Records.length);
    expectTypeOf(wrapped).toEqualTypeOf<(event: SQSEvent, context: Context) => Promise<number>>();
  });

  it('a wrapped SQS handler that reports batch item failures is still an SQSHandler', () => {
    const wrapped = withGovernance(async (event: SQSEvent): Promise<SQSBatchResponse> => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }));
    expectTypeOf(wrapped).toMatchTypeOf<SQSHandler>();
  });

  it('rejects unknown options and wrong governance field types at compile time', () => {
    // @ts-expect-error: typo in an option name
    withGovernance(async () => 1, { tem: 'ai-eng' });
    // @ts-expect-error: governance fields are strings
    withGovernance(async () => 1, { team: 42 });
  });

  it('types the governance API', () => {
    expectTypeOf(governance.recordCost).returns.toEqualTypeOf<CostSummary | undefined>();
    // @ts-expect-error: policy results are allowed, warning or blocked
    governance.recordPolicy({ name: 'p', result: 'maybe' });
  });
});
