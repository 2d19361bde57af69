/**
 * Randomness as an input (DESIGN: time and randomness are inputs). The Raft core only ever asks an
 * injected `Rng` for numbers, so a seeded generator makes every run replayable.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast, and good enough for schedules and election jitter. */
export function seededRng(seed: number): Rng & { int(maxExclusive: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (maxExclusive: number) => Math.floor(next() * maxExclusive) };
}
