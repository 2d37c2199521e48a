/** The layer's public errors; their definitions are shared with the functions in common/. */
export { ConfigurationError } from '../../../common/env.js';
