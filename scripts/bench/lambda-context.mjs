// A Lambda context object as the runtime passes it: a fresh request id and a 30 s deadline per call.
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench';
let seq = 0;

export function lambdaContext() {
  const deadline = Date.now() + 30_000;
  return {
    awsRequestId: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    functionName, functionVersion: '$LATEST', memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`, logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}
