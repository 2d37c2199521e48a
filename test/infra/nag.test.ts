/**
 * cdk-nag's AwsSolutions checks, registered as infra/app.ts does: the GovernanceStack passes them, each finding
 * it acknowledges is acknowledged on the one resource it concerns with a real reason, and the check is live (a
 * non-compliant resource fails the synth).
 */
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GovernanceStack } from '../../infra/stack.js';
import { BUDGETS, ENV, acknowledgements, pipelineProps, readValidationReport, testApp, type PipelineInput, type ValidationReport } from './support.js';

const MIN_REASON = 40;
const STREAM_AND_QUEUES = [
  'AwsSolutions-KDS3 Governance/Pipeline/Stream',
  'AwsSolutions-SQS3 Governance/Pipeline/DeadLetterQueue',
  'AwsSolutions-SQS3 Governance/Pipeline/FailedBatchQueue',
];
const FUNCTIONS = ['Governance/Pipeline/Aggregator/Function', 'Governance/Pipeline/BudgetFunction/Function', 'Governance/Pipeline/DeployMarker/Handler/Function'];

interface Checked {
  readonly stack: GovernanceStack;
  readonly report: ValidationReport;
  readonly error?: Error;
}

/** Synthesizes a GovernanceStack (budgets, alert email) under AwsSolutions checks; `extra` adds to the stack. */
function checked(input: PipelineInput = {}, extra?: (stack: Stack) => void): Checked {
  const app = testApp({ nag: true });
  const stack = new GovernanceStack(app, 'Governance', { env: ENV, pipeline: pipelineProps({ budgets: BUDGETS, alertEmail: 'ops@example.com', ...input }) });
  extra?.(stack);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  return { stack, report: readValidationReport(app.outdir), ...(error && { error }) };
}

const awsSolutions = (report: ValidationReport) => {
  const plugin = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
  if (!plugin) throw new Error(`no AwsSolutions report among ${report.pluginReports.map((p) => p.pluginName).join(', ')}`);
  return plugin;
};

/** "<rule> <path>" of each acknowledgement in the tree, the rule without its "AwsSolutions::" namespace. */
const acknowledged = (stack: Stack) => acknowledgements(stack).map((a) => `${a.id.replace(/^AwsSolutions::/, '')} ${a.path}`).sort();

/** "<rule> <resource's construct>" of each finding the report shows as acknowledged. */
const suppressed = (report: ValidationReport) => (awsSolutions(report).suppressedViolations ?? [])
  .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath.replace(/\/(Resource|Default)$/, '')}`)).sort();

describe('AwsSolutions checks', () => {
  let node24: Checked;
  let node22: Checked;

  beforeAll(() => {
    node24 = checked();
    node22 = checked({ runtime: lambda.Runtime.NODEJS_22_X });
  });

  it('pass with no unacknowledged finding, not even a warning', () => {
    for (const { error, report } of [node24, node22]) {
      expect(error).toBeUndefined();
      expect(awsSolutions(report).conclusion).toBe('success');
      for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
    }
  });

  it('acknowledge KDS3 on the stream and SQS3 on the two queues, and nothing else, on nodejs24.x', () => {
    expect(acknowledged(node24.stack)).toEqual([...STREAM_AND_QUEUES].sort());
    expect(suppressed(node24.report)).toEqual([...STREAM_AND_QUEUES].sort());
  });

  it('acknowledge L1 on the three functions too on nodejs22.x', () => {
    const expected = [...STREAM_AND_QUEUES, ...FUNCTIONS.map((path) => `AwsSolutions-L1 ${path}`)].sort();
    expect(acknowledged(node22.stack)).toEqual(expected);
    expect(suppressed(node22.report)).toEqual(expected);
  });

  it('give every acknowledgement a reason', () => {
    for (const { stack, report } of [node24, node22]) {
      for (const { id, path, reason } of acknowledgements(stack)) expect(reason.trim().length, `${id} on ${path}`).toBeGreaterThanOrEqual(MIN_REASON);
      for (const v of awsSolutions(report).suppressedViolations ?? []) expect(v.reason.trim().length, v.ruleName).toBeGreaterThanOrEqual(MIN_REASON);
    }
  });

  it('fail the synth on a non-compliant resource beside the pipeline', () => {
    const { error, report } = checked({}, (stack) => new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED }));
    expect(error?.message).toContain('Governance/Unencrypted/Resource');
    const plugin = awsSolutions(report);
    expect(plugin.conclusion).toBe('failure');
    const findings = plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`));
    // SQS3 too: the pipeline's acknowledgements are on its own queues, not the stack.
    expect(findings.sort()).toEqual(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4'].map((rule) => `${rule} Governance/Unencrypted/Resource`));
  });
});
