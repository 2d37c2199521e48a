/**
 * Connecting user functions to the pipeline: `pipeline.instrument(fn)` and the GovernanceAspect. An instrumented
 * function gets the layer, its environment, PutRecords on the stream (and GenerateDataKey on its key) and
 * nothing else; never a Honeycomb key or the secret.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GovernanceAspect } from '../../infra/instrument.js';
import type { GovernancePipeline } from '../../infra/pipeline.js';
import {
  BUDGETS, ENV, arnOf, environmentOf, functionRole, list, logicalId, pipelineStack, propsError, ref, resourceOf, roleStatements, testApp,
  type Statement,
} from './support.js';

function userFunction(scope: Construct, id: string, runtime: lambda.Runtime = lambda.Runtime.NODEJS_22_X): lambda.Function {
  return new lambda.Function(scope, id, { runtime, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
}

function layersOf(template: Template, fn: lambda.Function): unknown[] {
  return list(resourceOf(template, fn).Properties!.Layers as unknown[]);
}

function tagsOf(template: Template, fn: lambda.Function): Record<string, string> {
  return Object.fromEntries(list(resourceOf(template, fn).Properties!.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
}

function governanceEnv(template: Template, fn: lambda.Function): Record<string, unknown> {
  return Object.fromEntries(Object.entries(environmentOf(template, fn)).filter(([key]) => key.startsWith('GOVERNANCE_')));
}

const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => list(s.Action));

function pipelineFunctions(pipeline: GovernancePipeline): lambda.Function[] {
  return [pipeline.aggregator, ...(pipeline.budgetFunction ? [pipeline.budgetFunction] : []), ...(pipeline.deployMarker ? [pipeline.deployMarker.function] : [])];
}

describe('instrument()', () => {
  let template: Template;
  let pipeline: GovernancePipeline;
  let fn: lambda.Function;
  let checker: lambda.Function;
  let enforcer: lambda.Function;
  let twice: lambda.Function;

  beforeAll(() => {
    const built = pipelineStack(testApp(), { budgets: BUDGETS }, 'User');
    pipeline = built.pipeline;
    fn = userFunction(built.stack, 'Chat');
    pipeline.instrument(fn, {
      team: 'ai-eng', project: 'chatbot', environment: 'prod', context: { cost_center: 'cc-42' },
      extract: 'customer_id=claim:sub;feature=header:x-feature',
    });
    checker = userFunction(built.stack, 'Checker');
    pipeline.instrument(checker, { budgetChecks: true });
    enforcer = userFunction(built.stack, 'Enforcer');
    pipeline.instrument(enforcer, { budgetChecks: { enforce: true } });
    twice = userFunction(built.stack, 'Twice');
    pipeline.instrument(twice, { team: 'a' });
    pipeline.instrument(twice, { team: 'a' });
    template = Template.fromStack(built.stack);
  });

  it('adds the pipeline layer', () => {
    expect(layersOf(template, fn)).toEqual([ref(pipeline.layer)]);
  });

  it('sets the layer\'s environment: the stream, the exporter and the default context', () => {
    expect(governanceEnv(template, fn)).toEqual({
      GOVERNANCE_EXPORTER: 'kinesis',
      GOVERNANCE_STREAM_NAME: ref(pipeline.stream),
      GOVERNANCE_TEAM: 'ai-eng',
      GOVERNANCE_PROJECT: 'chatbot',
      GOVERNANCE_ENVIRONMENT: 'prod',
      GOVERNANCE_CONTEXT_COST_CENTER: 'cc-42',
      GOVERNANCE_EXTRACT: 'customer_id=claim:sub;feature=header:x-feature',
    });
  });

  it('grants PutRecords on the stream and GenerateDataKey on its key, and nothing else', () => {
    expect(roleStatements(template, functionRole(fn))).toEqual([
      { Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: arnOf(pipeline.stream) },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: arnOf(pipeline.key) },
    ]);
  });

  it('tags the function', () => {
    expect(tagsOf(template, fn)).toMatchObject({ 'genops:instrumented': 'true', 'genops:team': 'ai-eng', 'genops:project': 'chatbot' });
  });

  it('never hands the function a Honeycomb key or the secret', () => {
    for (const f of [fn, checker, enforcer, twice]) {
      expect(Object.keys(environmentOf(template, f)).filter((key) => key.startsWith('HONEYCOMB_')), f.node.id).toEqual([]);
      expect(actionsOf(roleStatements(template, functionRole(f))).filter((a) => a.startsWith('secretsmanager:')), f.node.id).toEqual([]);
      const managed = JSON.stringify(resourceOf(template, functionRole(f)).Properties!.ManagedPolicyArns ?? []);
      expect(managed, f.node.id).not.toMatch(/SecretsManager/i);
    }
  });

  it('with budgetChecks, lets the function read the ledger (GetItem and Query on it only)', () => {
    expect(environmentOf(template, checker)).toMatchObject({ GOVERNANCE_BUDGET_TABLE: ref(pipeline.ledgerTable!) });
    expect(environmentOf(template, checker)).not.toHaveProperty('GOVERNANCE_BUDGET_ENFORCE');
    const ledger = roleStatements(template, functionRole(checker)).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    expect(ledger).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: arnOf(pipeline.ledgerTable!) }]);
    // Without budgetChecks, no ledger access.
    expect(environmentOf(template, fn)).not.toHaveProperty('GOVERNANCE_BUDGET_TABLE');
  });

  it('with budgetChecks: { enforce: true }, sets GOVERNANCE_BUDGET_ENFORCE', () => {
    expect(environmentOf(template, enforcer)).toMatchObject({ GOVERNANCE_BUDGET_TABLE: ref(pipeline.ledgerTable!), GOVERNANCE_BUDGET_ENFORCE: 'true' });
  });

  it('is a no-op the second time', () => {
    expect(layersOf(template, twice)).toEqual([ref(pipeline.layer)]);
    expect(actionsOf(roleStatements(template, functionRole(twice))).filter((a) => a === 'kinesis:PutRecords')).toHaveLength(1);
  });
});

describe('instrument() refuses', () => {
  let stack: Stack;
  let pipeline: GovernancePipeline;

  beforeAll(() => {
    ({ stack, pipeline } = pipelineStack(testApp(), {}, 'Refusals'));
  });

  it('a Python function, naming it', () => {
    const fn = userFunction(stack, 'PythonFn', lambda.Runtime.PYTHON_3_12);
    const error = propsError(() => pipeline.instrument(fn));
    expect(error.message).toContain('Refusals/PythonFn');
    expect(error.message).toContain('python3.12 is not a Node.js runtime');
  });

  it('a function on a runtime older than nodejs20.x', () => {
    const fn = userFunction(stack, 'Old', lambda.Runtime.NODEJS_18_X);
    expect(propsError(() => pipeline.instrument(fn)).message).toMatch(/Refusals\/Old.*nodejs18\.x is older than nodejs20\.x/);
  });

  it('the pipeline\'s own functions', () => {
    for (const fn of pipelineFunctions(pipeline)) {
      expect(propsError(() => pipeline.instrument(fn)).message, fn.node.path).toContain('pipeline\'s own functions');
    }
  });

  it('an unknown option, suggesting the known one', () => {
    const error = propsError(() => pipeline.instrument(userFunction(stack, 'Typo'), { teams: 'x' } as never));
    expect(error.prop).toBe('instrument.teams');
    expect(error.message).toContain('did you mean "team"');
  });

  it('a context field that is not a lower_snake_case name', () => {
    const error = propsError(() => pipeline.instrument(userFunction(stack, 'BadContext'), { context: { 'Cost-Center': 'cc-42' } }));
    expect(error.prop).toBe('instrument.context.Cost-Center');
  });

  it('budgetChecks on a pipeline without budgets', () => {
    const error = propsError(() => pipeline.instrument(userFunction(stack, 'NoLedger'), { budgetChecks: true }));
    expect(error.prop).toMatch(/budgetChecks$/);
    expect(error.message).toContain('GovernancePipeline.budgets');
  });

  it('and leaves the refused function untouched', () => {
    const fn = userFunction(stack, 'Untouched', lambda.Runtime.PYTHON_3_12);
    propsError(() => pipeline.instrument(fn, { team: 'a' }));
    const template = Template.fromStack(stack);
    expect(resourceOf(template, fn).Properties).not.toHaveProperty('Layers');
    expect(resourceOf(template, fn).Properties).not.toHaveProperty('Environment');
  });
});

describe('GovernanceAspect', () => {
  let template: Template;
  let stack: Stack;
  let pipeline: GovernancePipeline;
  let node22: lambda.Function;
  let node24: lambda.Function;
  let python: lambda.Function;
  let old: lambda.Function;
  let excluded: lambda.Function;

  beforeAll(() => {
    ({ stack, pipeline } = pipelineStack(testApp(), { budgets: BUDGETS }, 'Aspect'));
    node22 = userFunction(stack, 'Node22', lambda.Runtime.NODEJS_22_X);
    node24 = userFunction(stack, 'Node24', lambda.Runtime.NODEJS_24_X);
    python = userFunction(stack, 'Python', lambda.Runtime.PYTHON_3_12);
    old = userFunction(stack, 'Node18', lambda.Runtime.NODEJS_18_X);
    excluded = userFunction(stack, 'Excluded', lambda.Runtime.NODEJS_24_X);
    Aspects.of(stack).add(new GovernanceAspect(pipeline, { team: 'ai-eng', include: (fn) => fn.node.id !== 'Excluded' }));
    template = Template.fromStack(stack);
  });

  it('instruments every Node.js function', () => {
    for (const fn of [node22, node24]) {
      expect(layersOf(template, fn), fn.node.id).toEqual([ref(pipeline.layer)]);
      expect(governanceEnv(template, fn), fn.node.id).toMatchObject({ GOVERNANCE_STREAM_NAME: ref(pipeline.stream), GOVERNANCE_TEAM: 'ai-eng' });
      expect(actionsOf(roleStatements(template, functionRole(fn))), fn.node.id).toEqual(['kinesis:PutRecords', 'kms:GenerateDataKey']);
      expect(tagsOf(template, fn), fn.node.id).toMatchObject({ 'genops:instrumented': 'true', 'genops:team': 'ai-eng' });
    }
  });

  it('leaves Python functions alone', () => {
    expect(layersOf(template, python)).toEqual([]);
    expect(governanceEnv(template, python)).toEqual({});
  });

  it('leaves functions older than nodejs20.x alone, with a warning', () => {
    expect(layersOf(template, old)).toEqual([]);
    expect(governanceEnv(template, old)).toEqual({});
    Annotations.fromStack(stack).hasWarning(`/${old.node.path}`, Match.stringLikeRegexp('not instrumented: nodejs18\\.x is older than nodejs20\\.x'));
  });

  it('never instruments the pipeline\'s own functions', () => {
    const own = pipelineFunctions(pipeline);
    expect(own).toHaveLength(3);
    for (const fn of own) {
      expect(layersOf(template, fn), fn.node.path).toEqual([]);
      expect(environmentOf(template, fn), fn.node.path).not.toHaveProperty('GOVERNANCE_STREAM_NAME');
      expect(actionsOf(roleStatements(template, functionRole(fn))), fn.node.path).not.toContain('kinesis:PutRecords');
    }
  });

  it('skips what include turns down', () => {
    expect(layersOf(template, excluded)).toEqual([]);
    expect(governanceEnv(template, excluded)).toEqual({});
  });

  it('refuses unknown options, suggesting the known one', () => {
    const error = propsError(() => new GovernanceAspect(pipeline, { teams: 'x' } as never));
    expect(error.prop).toBe('GovernanceAspect.teams');
    expect(error.message).toContain('did you mean "team"');
  });
});

describe('across stacks', () => {
  it('instruments a function in another stack of the app through the pipeline stack\'s exports', () => {
    const app: App = testApp();
    const { stack: governance, pipeline } = pipelineStack(app, { deployMarker: false }, 'Governance');
    const user = new Stack(app, 'Service', { env: ENV });
    const direct = userFunction(user, 'Direct');
    pipeline.instrument(direct, { team: 'a' });
    const byAspect = userFunction(user, 'ByAspect');
    Aspects.of(user).add(new GovernanceAspect(pipeline, { team: 'b' }));

    const exported = Template.fromStack(governance).toJSON().Outputs as Record<string, { Value: unknown; Export: { Name: string } }>;
    const exportOf = (value: unknown): string => {
      const output = Object.values(exported).find((o) => JSON.stringify(o.Value) === JSON.stringify(value));
      if (!output) throw new Error(`the governance stack exports no ${JSON.stringify(value)}`);
      return output.Export.Name;
    };
    const template = Template.fromStack(user);
    const imported = (value: unknown) => ({ 'Fn::ImportValue': exportOf(value) });
    for (const fn of [direct, byAspect]) {
      expect(layersOf(template, fn), fn.node.id).toEqual([imported(ref(pipeline.layer))]);
      expect(environmentOf(template, fn).GOVERNANCE_STREAM_NAME, fn.node.id).toEqual(imported(ref(pipeline.stream)));
      expect(roleStatements(template, functionRole(fn)), fn.node.id).toEqual([
        { Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: imported(arnOf(pipeline.stream)) },
        { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: imported(arnOf(pipeline.key)) },
      ]);
    }
    expect(environmentOf(template, direct).GOVERNANCE_TEAM).toBe('a');
    expect(environmentOf(template, byAspect).GOVERNANCE_TEAM).toBe('b');
    expect(logicalId(direct)).not.toBe(logicalId(byAspect));
  });
});
