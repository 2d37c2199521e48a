/**
 * Instrumenting a user's function: the layer, the layer's environment, PutRecords on the governance stream (and
 * kms:GenerateDataKey on its key, which encrypted writes need) and nothing else, tags. No Honeycomb key or secret
 * reaches the function: the aggregator holds that.
 */
import { Annotations, IAspect, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { GovernancePropsError } from './errors.js';
import { isPipelineFunction } from './pipeline-function.js';
import { ASPECT_PROPS, checkInstrumentOptions } from './props.js';
import type { GovernanceAspectOptions, InstrumentOptions } from './types.js';
import type { GovernancePipeline } from './pipeline.js';

const INSTRUMENTED = Symbol.for('lambda-governance.instrumented');
/** The layer's bundle targets Node 20; older runtimes cannot load it. */
const TOO_OLD = /^nodejs(\d+)\./;

function unsupportedRuntime(fn: lambda.Function): string | undefined {
  if (fn.runtime.family !== lambda.RuntimeFamily.NODEJS) return `${fn.runtime.name} is not a Node.js runtime`;
  const major = Number(TOO_OLD.exec(fn.runtime.name)?.[1] ?? 'NaN');
  if (major < 20) return `${fn.runtime.name} is older than nodejs20.x, which the layer needs`;
  return undefined;
}

export function isInstrumented(fn: lambda.IFunction): boolean {
  return (fn as unknown as Record<symbol, unknown>)[INSTRUMENTED] === true;
}

export function instrumentFunction(pipeline: GovernancePipeline, fn: lambda.Function, options: InstrumentOptions): void {
  checkInstrumentOptions('instrument', options);
  const path = fn.node.path;
  const unsupported = unsupportedRuntime(fn);
  if (unsupported) throw new GovernancePropsError(`instrument(${path})`, unsupported);
  if (isPipelineFunction(fn)) throw new GovernancePropsError(`instrument(${path})`, 'is one of the pipeline\'s own functions; instrumenting it would feed the stream from the stream');
  if (isInstrumented(fn)) return;
  const budgetChecks = options.budgetChecks === true ? {} : options.budgetChecks || undefined;
  if (budgetChecks && !pipeline.ledgerTable) {
    throw new GovernancePropsError(`instrument(${path}).budgetChecks`, 'needs a pipeline with budgets (GovernancePipeline.budgets); there is no ledger to read');
  }

  fn.addLayers(pipeline.layer);
  const environment: Record<string, string> = {
    GOVERNANCE_EXPORTER: 'kinesis',
    GOVERNANCE_STREAM_NAME: pipeline.stream.streamName,
    ...(options.team && { GOVERNANCE_TEAM: options.team }),
    ...(options.project && { GOVERNANCE_PROJECT: options.project }),
    ...(options.environment && { GOVERNANCE_ENVIRONMENT: options.environment }),
    ...(options.extract && { GOVERNANCE_EXTRACT: options.extract }),
  };
  for (const [field, value] of Object.entries(options.context ?? {})) environment[`GOVERNANCE_CONTEXT_${field.toUpperCase()}`] = value;
  if (budgetChecks && pipeline.ledgerTable) {
    environment.GOVERNANCE_BUDGET_TABLE = pipeline.ledgerTable.tableName;
    if (budgetChecks.enforce) environment.GOVERNANCE_BUDGET_ENFORCE = 'true';
  }
  for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);

  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [pipeline.stream.streamArn] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [pipeline.key.keyArn] }));
  if (budgetChecks && pipeline.ledgerTable) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [pipeline.ledgerTable.tableArn] }));
  }

  Tags.of(fn).add('genops:instrumented', 'true');
  if (options.team) Tags.of(fn).add('genops:team', options.team);
  if (options.project) Tags.of(fn).add('genops:project', options.project);
  Object.defineProperty(fn, INSTRUMENTED, { value: true });
}

/**
 * Instruments every Node.js function of a scope (`Aspects.of(stack).add(new GovernanceAspect(pipeline))`), except
 * the pipeline's own and those `include` turns down. Functions it cannot instrument (a runtime older than
 * nodejs20.x) get a warning, not an error: the rest of the stack still deploys.
 */
export class GovernanceAspect implements IAspect {
  private readonly options: InstrumentOptions;
  private readonly include: (fn: lambda.Function) => boolean;

  public constructor(private readonly pipeline: GovernancePipeline, options: GovernanceAspectOptions = {}) {
    checkInstrumentOptions('GovernanceAspect', options, ASPECT_PROPS);
    const { include, ...instrumentOptions } = options;
    this.options = instrumentOptions;
    this.include = include ?? (() => true);
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function) || isPipelineFunction(node) || isInstrumented(node)) return;
    if (node.runtime.family !== lambda.RuntimeFamily.NODEJS || !this.include(node)) return;
    const unsupported = unsupportedRuntime(node);
    if (unsupported) {
      Annotations.of(node).addWarningV2('lambda-governance:unsupported-runtime', `not instrumented: ${unsupported}`);
      return;
    }
    instrumentFunction(this.pipeline, node, this.options);
  }
}
