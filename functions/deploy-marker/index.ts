/**
 * Lambda entry point of the deploy marker (functions/deploy-marker), the service token of a CloudFormation
 * custom resource. Configuration is read once, at init; an error in it is answered to CloudFormation as FAILED
 * on each request rather than failing the init (see createHandlerFromEnv).
 */
import { createHandlerFromEnv } from './handler.js';

export const handler = createHandlerFromEnv(process.env);
