/**
 * The CDK app of `npm run synth` / `npm run deploy`. Settings come from cdk.json's context (or `-c key=value`):
 *   lambda-governance:honeycombSecret  name or ARN of the Honeycomb secret (default lambda-governance/honeycomb)
 *   lambda-governance:budgetsFile      a budgets JSON file (docs/budgets.md); none means no ledger and no budget function
 *   lambda-governance:alertEmail       subscribed to budget alerts and alarms
 *   lambda-governance:honeycombApiHost e.g. https://api.eu1.honeycomb.io
 *   lambda-governance:stackName        default LambdaGovernance
 * cdk-nag's AwsSolutions pack checks every resource; an unacknowledged finding fails the synth.
 */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BudgetDefinitionInput } from '../common/budgets/types.js';
import { GovernancePropsError } from './errors.js';
import { GovernanceStack } from './stack.js';

const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

function setting(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(`lambda-governance:${name}`);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function budgetsFrom(file: string | undefined): unknown {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new GovernancePropsError('lambda-governance:budgetsFile', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

new GovernanceStack(app, setting('stackName') ?? 'LambdaGovernance', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  pipeline: {
    honeycombSecret: setting('honeycombSecret') ?? 'lambda-governance/honeycomb',
    // Whatever the file holds is checked by the pipeline with the budget function's own schema.
    ...(setting('budgetsFile') && { budgets: budgetsFrom(setting('budgetsFile')) as BudgetDefinitionInput[] }),
    ...(setting('alertEmail') && { alertEmail: setting('alertEmail') }),
    ...(setting('honeycombApiHost') && { honeycombApiHost: setting('honeycombApiHost') }),
  },
});
