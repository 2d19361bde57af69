/** Snapshot builders and temp dirs for the snapshot store tests. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Snapshot } from '../../src/raft/types';

/** Pseudo-random bytes from a seed (xorshift32): a chunk out of place changes the content. */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A snapshot at `index` whose data (`size` bytes) is seeded by index and term. */
export function snap(
  index: number,
  term = 1,
  size = 64,
  conf = { voters: ['a', 'b', 'c'], learners: ['l'] },
): Snapshot {
  return { meta: { index, term, conf }, data: bytes(size, index * 7919 + term) };
}

export const MB = 1024 * 1024;

export function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'snapshot-store-'));
}

/** Compares data by bytes (`toEqual` on megabytes is slow) and meta structurally. */
export function expectSameSnapshot(actual: Snapshot | null, expected: Snapshot): void {
  expect(actual).not.toBeNull();
  expect(actual?.meta).toEqual(expected.meta);
  expect(actual?.data.length).toBe(expected.data.length);
  expect(Buffer.from(actual?.data ?? []).equals(Buffer.from(expected.data))).toBe(true);
}
