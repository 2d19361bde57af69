/**
 * MurmurHash3 (x86, 32-bit), the one hash of the project: `hash32(key)` of CONTRACT §4 (the
 * distribution of events over vnodes) and the rendezvous weights of placement. A published
 * function with reference vectors, so a vnode can be computed outside this code base and by every
 * node alike, whatever its version. Murmur3 rather than FNV because its low bits are well mixed,
 * and `mod vnodes` reads only the low bits when the vnode count is a power of two.
 */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const tail = bytes.length & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The 1 to 3 bytes left over, in the reference's fall-through order (3, then 2, then 1).
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= (bytes[tail + 2] as number) << 16;
    if (rest >= 2) k ^= (bytes[tail + 1] as number) << 8;
    k ^= bytes[tail] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  return fmix32(h ^ bytes.length);
}

/** Murmur3's finalizer: spreads any change of the input over all 32 bits. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();

/** `hash32` of CONTRACT §4: murmur3 with seed 0 of the UTF-8 bytes of `text`. */
export function hash32(text: string): number {
  return murmur3(encoder.encode(text));
}
