/** A stack holding one GovernancePipeline: what `npm run deploy` (infra/app.ts) stands up. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { GovernancePipeline } from './pipeline.js';
import type { GovernancePipelineProps } from './types.js';

export interface GovernanceStackProps extends StackProps {
  readonly pipeline: GovernancePipelineProps;
}

export class GovernanceStack extends Stack {
  public readonly pipeline: GovernancePipeline;

  public constructor(scope: Construct, id: string, props: GovernanceStackProps) {
    const { pipeline, ...stackProps } = props;
    super(scope, id, { description: 'lambda-governance: governance stream, aggregator, budgets, alerts', ...stackProps });
    this.pipeline = new GovernancePipeline(this, 'Pipeline', pipeline);
  }
}
