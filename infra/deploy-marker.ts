/**
 * A Honeycomb marker on each deploy: a custom resource served by functions/deploy-marker, which speaks the
 * CloudFormation protocol itself (no provider framework, one small function). The DeployId property changes on
 * every synth, so every deploy is an Update and posts a marker; a marker Honeycomb refuses never fails the deploy.
 */
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { grantHoneycombSecret, type HoneycombSecret } from './honeycomb-secret.js';
import { PipelineFunction } from './pipeline-function.js';
import type { DeployMarkerOptions } from './types.js';

export interface HoneycombDeployMarkerProps extends DeployMarkerOptions {
  readonly dataset: string;
  readonly secret: HoneycombSecret;
  readonly secretKey?: kms.IKey;
  readonly apiHost: string;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
  readonly logRetention?: logs.RetentionDays;
}

export class HoneycombDeployMarker extends Construct {
  public readonly function: lambda.Function;
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: HoneycombDeployMarkerProps) {
    super(scope, id);
    const { function: fn, role } = new PipelineFunction(this, 'Handler', {
      name: 'deploy-marker',
      description: 'lambda-governance: posts a Honeycomb marker on each deploy',
      runtime: props.runtime, architecture: props.architecture, logRetention: props.logRetention,
      memorySize: 128, timeout: Duration.seconds(30),
      environment: { HONEYCOMB_SECRET: props.secret.secretId, HONEYCOMB_API_HOST: props.apiHost },
    });
    grantHoneycombSecret(props.secret, props.secretKey, role);
    this.function = fn;
    const stackName = Stack.of(this).stackName;
    this.resource = new CustomResource(this, 'Marker', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::HoneycombDeployMarker',
      // Never leave CloudFormation waiting an hour if the function cannot answer.
      serviceTimeout: Duration.minutes(5),
      properties: {
        Dataset: props.dataset,
        Message: props.message ?? `deploy ${stackName}`,
        MarkerType: 'deploy',
        ...(props.url && { Url: props.url }),
        DeployId: props.deployId ?? new Date().toISOString(),
      },
    });
  }
}
