/**
 * The known name an unknown one most likely misspells (`confg` → `config`) or shortens
 * (`interval` → `interval_ms`), if any: a typo is the commonest unknown field in a flow, and
 * naming the fix saves a round trip.
 */
const MAX_EDITS = 2;
const MIN_PREFIX = 4;

export function didYouMean(unknown: string, known: readonly string[]): string | undefined {
  if (unknown.length >= MIN_PREFIX) {
    const lower = unknown.toLowerCase();
    const extended = known.find((name) => name.toLowerCase().startsWith(lower));
    if (extended !== undefined) return extended;
  }
  let best: string | undefined;
  let bestDistance = MAX_EDITS + 1;
  for (const candidate of known) {
    if (Math.abs(candidate.length - unknown.length) > MAX_EDITS) continue;
    const distance = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    // Two edits turn any two-letter word into any other: ask for at least as many letters kept.
    if (distance < bestDistance && distance < Math.max(unknown.length, candidate.length) / 2) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance; both words are short (the length check above bounds the work). */
function editDistance(a: string, b: string): number {
  let previous: number[] = [];
  for (let j = 0; j <= b.length; j++) previous.push(j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
