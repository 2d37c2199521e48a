/** The CDK constructs users import: `import { GovernancePipeline, GovernanceAspect } from 'lambda-governance/cdk'`. */
export { GovernancePipeline } from './pipeline.js';
export { GovernanceAspect, instrumentFunction } from './instrument.js';
export { HoneycombDeployMarker } from './deploy-marker.js';
export { PipelineAlarms } from './alarms.js';
export { GovernanceStack, type GovernanceStackProps } from './stack.js';
export { GovernancePropsError } from './errors.js';
export type { GovernancePipelineProps, InstrumentOptions, GovernanceAspectOptions, DeployMarkerOptions } from './types.js';
export type { BudgetDefinitionInput } from '../common/budgets/types.js';
