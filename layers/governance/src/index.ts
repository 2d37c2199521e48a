export { withGovernance } from './wrapper.js';
export { governance, type CostSummary } from './governance.js';
export { governanceMiddleware, type GovernanceMiddleware } from './middy.js';
export { ConfigurationError } from './errors.js';
export { BUILT_IN_PRICES } from './pricing.js';
export { ATTR, GOVERNANCE_FIELDS } from './semconv.js';
export { VERSION } from '../../../common/version.js';
export type * from './types.js';
