/**
 * One of the pipeline's own functions: its own log group with a retention, and its own role that may write
 * to that log group only (no AWSLambdaBasicExecutionRole, whose logs:* rights reach every group). Marked so the
 * GovernanceAspect never instruments the pipeline with itself.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { pipelineFunctionCode, type PipelineFunctionName } from './function-code.js';

const PIPELINE_FUNCTION = Symbol.for('lambda-governance.pipeline-function');

export function isPipelineFunction(fn: lambda.IFunction): boolean {
  return (fn as unknown as Record<symbol, unknown>)[PIPELINE_FUNCTION] === true;
}

export interface PipelineFunctionProps {
  readonly name: PipelineFunctionName;
  readonly description: string;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
  readonly environment: Record<string, string>;
  readonly files?: Record<string, string>;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention?: logs.RetentionDays;
}

export class PipelineFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `lambda-governance ${props.name}: its log group, and the grants the pipeline adds`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: props.runtime,
      architecture: props.architecture,
      handler: 'index.handler',
      code: pipelineFunctionCode(props.name, props.files),
      environment: props.environment,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
    });
    // The role's policy must exist before the function, or the first invocations run without their grants.
    this.function.node.addDependency(this.role);
    Object.defineProperty(this.function, PIPELINE_FUNCTION, { value: true });
  }
}
