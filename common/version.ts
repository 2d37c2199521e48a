/** Replaced at build time by scripts/build-layer.ts and scripts/build-functions.ts with the package version. */
declare const __GOVERNANCE_VERSION__: string | undefined;
export const VERSION: string = typeof __GOVERNANCE_VERSION__ === 'string' ? __GOVERNANCE_VERSION__ : '0.0.0-dev';
