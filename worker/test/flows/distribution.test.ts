import fc from 'fast-check';
import { buildDistributor, keyText } from '../../src/flows/distribution';
import type { Json } from '../../src/flows/expressions/cel-values';
import { hash32, murmur3 } from '../../../control-plane/src/hash/murmur3';

const META = { worker: 'w1', flow: 'f', ingest_ts: 1_000 };

describe('hash32 (MurmurHash3 x86 32-bit)', () => {
  it('matches the reference vectors', () => {
    expect(hash32('')).toBe(0);
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(hash32('test')).toBe(0xba6bd213);
    expect(hash32('hello')).toBe(0x248bfa47);
    expect(hash32('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes of the key', () => {
    expect(hash32('é')).toBe(murmur3(new Uint8Array([0xc3, 0xa9])));
  });
});

describe('distribution', () => {
  it('hash: every event of a key goes to one vnode, hash32(key) mod vnodes', () => {
    const d = buildDistributor({ strategy: 'hash', key: 'event.app' }, 16);
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (app, other) => {
        const a = d.place({ app, n: 1 }, META);
        const b = d.place({ app, other: other as Json }, META);
        expect(a).toEqual({ vnode: hash32(app) % 16 });
        expect(b).toEqual(a);
      }),
    );
  });

  it('hash: keys of other types hash as their JSON text', () => {
    const d = buildDistributor({ strategy: 'hash', key: 'event.k' }, 7);
    expect(d.place({ k: 42 }, META)).toEqual({ vnode: hash32('42') % 7 });
    expect(d.place({ k: [1, 'a'] }, META)).toEqual({ vnode: hash32('[1,"a"]') % 7 });
    expect(keyText(true)).toBe('true');
  });

  it('hash: spreads many keys over all vnodes', () => {
    const d = buildDistributor({ strategy: 'hash', key: 'event.app' }, 8);
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) {
      const { vnode } = d.place({ app: `app-${i}` }, META);
      counts[vnode] = (counts[vnode] ?? 0) + 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('hash: a key that fails sends the event to vnode 0 with the reason, for port err', () => {
    const d = buildDistributor({ strategy: 'hash', key: 'event.app' }, 8);
    const placed = d.place({ other: 1 }, META);
    expect(placed.vnode).toBe(0);
    expect(placed.error).toMatch(/^distribution key: /);
  });

  it('round-robin: each distributor deals over all vnodes in turn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.nat({ max: 500 }), (vnodes, n) => {
        const d = buildDistributor(undefined, vnodes);
        const counts = new Array<number>(vnodes).fill(0);
        for (let i = 0; i < n; i++) {
          const { vnode } = d.place({}, META);
          expect(vnode).toBe(i % vnodes);
          counts[vnode] = (counts[vnode] ?? 0) + 1;
        }
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('refuses a vnode count that is not a positive integer', () => {
    expect(() => buildDistributor(undefined, 0)).toThrow(RangeError);
    expect(() => buildDistributor(undefined, 1.5)).toThrow(RangeError);
  });
});
