/**
 * Shared helpers of the CDK construct tests: apps whose cloud assembly lands in a temporary directory (removed
 * after each test file), a pipeline stack with given props, and readers for the synthesized template (resources
 * of a construct, IAM statements of a role, function environments, Fn::Join flattened to a string).
 *
 * Apps skip asset bundling unless asked (`bundle: true`): the template is the same apart from asset hashes, and
 * each bundle is three esbuild runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, expect } from 'vitest';
import type { BudgetDefinitionInput } from '../../common/budgets/types.js';
import { GovernancePropsError } from '../../infra/errors.js';
import { GovernancePipeline } from '../../infra/pipeline.js';
import type { GovernancePipelineProps } from '../../infra/types.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ENV = { account: ACCOUNT, region: REGION };
/** cdk.json's default secret name. */
export const SECRET_NAME = 'lambda-governance/honeycomb';
export const BUDGETS: BudgetDefinitionInput[] = [
  { id: 'ai-eng-daily', limitUsd: 200, period: 'daily', match: { team: 'ai-eng' }, thresholds: [80, 100] },
  { id: 'org-monthly', limitUsd: 5000, period: 'monthly', timeZone: 'America/New_York' },
];

/** The pipeline's props as a user writes them: budgets as input (the props type wants the normalized form). */
export type PipelineInput = Omit<GovernancePipelineProps, 'honeycombSecret' | 'budgets'> & {
  honeycombSecret?: GovernancePipelineProps['honeycombSecret'];
  budgets?: BudgetDefinitionInput[];
};

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface AppOptions {
  /** Bundle the pipeline functions (needed to look into their assets). */
  readonly bundle?: boolean;
  /** cdk-nag's AwsSolutions checks, as infra/app.ts registers them. */
  readonly nag?: boolean;
}

export function testApp(options: AppOptions = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'lg-infra-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      // An unacknowledged error finding makes app.synth() throw, whatever NODE_ENV says.
      '@aws-cdk/core:appMode': 'inmemory',
      // aws:asset:path on resources, as the CLI has it, to find the packages in the assembly.
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** The full props: the default secret name, then `input`. */
export function pipelineProps(input: PipelineInput = {}): GovernancePipelineProps {
  return { honeycombSecret: SECRET_NAME, ...input } as GovernancePipelineProps;
}

export interface PipelineStack {
  readonly app: App;
  readonly stack: Stack;
  readonly pipeline: GovernancePipeline;
}

/** A stack holding a pipeline; `input` may be built in the stack (for imported keys or topics). */
export function pipelineStack(app: App, input: PipelineInput | ((stack: Stack) => PipelineInput) = {}, id = 'Governance'): PipelineStack {
  const stack = new Stack(app, id, { env: ENV });
  const pipeline = new GovernancePipeline(stack, 'Pipeline', pipelineProps(typeof input === 'function' ? input(stack) : input));
  return { app, stack, pipeline };
}

export interface SynthesizedPipeline extends PipelineStack {
  readonly template: Template;
}

export function synthPipeline(input: PipelineInput | ((stack: Stack) => PipelineInput) = {}, options: AppOptions = {}): SynthesizedPipeline {
  const built = pipelineStack(testApp(options), input);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The error `build` throws, which must be a GovernancePropsError. */
export function propsError(build: () => unknown): GovernancePropsError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(GovernancePropsError);
    return error as GovernancePropsError;
  }
  throw new Error('expected a GovernancePropsError, but nothing was thrown');
}

// ----- reading templates -----

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, any>;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function logicalId(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).getLogicalId(element);
}

export function resources(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The resource of a construct (its default child). */
export function resourceOf(template: Template, construct: IConstruct): CfnResource {
  const resource = (template.toJSON().Resources as Record<string, CfnResource>)[logicalId(construct)];
  if (!resource) throw new Error(`${construct.node.path} (${logicalId(construct)}) is not in the template`);
  return resource;
}

export const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of every AWS::IAM::Policy, with the logical ids of the roles it is attached to. */
export function policyStatements(template: Template): { policy: string; roles: string[]; statement: Statement }[] {
  return Object.entries(resources(template, 'AWS::IAM::Policy')).flatMap(([policy, resource]) => {
    const roles = list(resource.Properties?.Roles as { Ref?: string }[]).map((role) => role.Ref ?? JSON.stringify(role));
    return list(resource.Properties?.PolicyDocument?.Statement as Statement[]).map((statement) => ({ policy, roles, statement }));
  });
}

/** The statements of the inline policies attached to a role. */
export function roleStatements(template: Template, role: iam.IRole): Statement[] {
  const id = logicalId(role);
  return policyStatements(template).filter((s) => s.roles.includes(id)).map((s) => s.statement);
}

export function functionRole(fn: lambda.Function): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}

export function environmentOf(template: Template, fn: lambda.Function): Record<string, unknown> {
  return (resourceOf(template, fn).Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
}

/** Fn::Join, Ref and Fn::GetAtt flattened to a readable string: `arn:${AWS::Partition}:…`, `${Stream.Arn}`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const object = value as Record<string, any>;
  if (object && 'Ref' in object) return `\${${object.Ref}}`;
  if (object && 'Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  if (object && 'Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(separator);
  }
  return JSON.stringify(value);
}

export const ref = (construct: IConstruct): { Ref: string } => ({ Ref: logicalId(construct) });
export const arnOf = (construct: IConstruct): { 'Fn::GetAtt': [string, string] } => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

/** The directory of a resource's asset in the cloud assembly (`aws:asset:path` metadata). */
export function assetDir(app: App, template: Template, construct: IConstruct): string {
  const path = resourceOf(template, construct).Metadata?.['aws:asset:path'] as string | undefined;
  if (path === undefined) throw new Error(`${construct.node.path} has no asset`);
  return join(app.outdir, path);
}

// ----- validation (cdk-nag) -----

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    suppressedViolations?: { ruleName: string; reason: string; acknowledgedAt: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

export function readValidationReport(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/** Every `Validations.of(x).acknowledge()` in the tree: where, which rule, why. */
export function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason }))));
}
