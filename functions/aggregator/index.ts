/**
 * Lambda entry point of the aggregator (functions/aggregator). Configuration is read once, at init: a wrong
 * setting fails the init with a message naming it.
 */
import { readAggregatorConfig } from './config.js';
import { createAggregator } from './handler.js';

export const handler = createAggregator(readAggregatorConfig(process.env));
