export { withGovernance } from './wrapper.js';
export { governance, type CostSummary } from './governance.js';
export { governanceMiddleware, type GovernanceMiddleware } from './middy.js';
export { BudgetExceededError, ConfigurationError } from './errors.js';
export type { BudgetCheckOptions, BudgetDecision } from './budget-check.js';
export { BUILT_IN_PRICES } from './pricing.js';
export { ATTR, GOVERNANCE_FIELDS } from './semconv.js';
export { VERSION } from '../../../common/version.js';
export type * from './types.js';
