export * from './types.js';
export * from './span-events.js';
export * from './keys.js';
