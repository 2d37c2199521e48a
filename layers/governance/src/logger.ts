/**
 * Our only output channel: one warning per distinct problem per process, so a bad value repeated on every
 * invocation cannot flood the function's logs. Never prints attribute values or secrets.
 */
const PREFIX = '[lambda-governance]';
const seen = new Set<string>();

export function warnOnce(code: string, message: string): void {
  if (seen.has(code)) return;
  seen.add(code);
  console.warn(`${PREFIX} ${message}`);
}

/** For tests: forget which warnings were printed. */
export function resetWarnings(): void {
  seen.clear();
}
