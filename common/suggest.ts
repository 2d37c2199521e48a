/**
 * "Did you mean" for strict option checks (budget definitions, CDK props): a typo such as "threshold" should be
 * an error that points at the right name, never a silent default.
 */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known key an unknown one most likely meant: one it starts with or contains (team_name → team), else a near miss. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  return known.find((k) => key.startsWith(k) || key.includes(k))
    ?? [...known].sort((x, y) => distance(key, x) - distance(key, y)).find((k) => distance(key, k) <= 3);
}

/** The message for an unknown key: `is not a known field (did you mean "x"?); known: a, b`. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const closest = closestKey(key, known);
  return `is not a known field${closest !== undefined ? ` (did you mean "${closest}"?)` : ''}; known: ${known.join(', ')}`;
}
