import { fromCel, toCel } from '../../../src/flows/expressions/cel-values';

describe('CEL ints back to JSON numbers', () => {
  it('holds exactly the safe integers, on both sides of zero', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(fromCel(max)).toBe(Number.MAX_SAFE_INTEGER);
    expect(fromCel(-max)).toBe(-Number.MAX_SAFE_INTEGER);
    for (const beyond of [max + 1n, max + 2n, -max - 1n, -max - 2n, 10n ** 30n]) {
      expect(() => fromCel(beyond)).toThrow(/beyond what JSON numbers hold exactly/);
    }
  });

  it('a map result is a fresh object, with ints converted and other values as they were', () => {
    const nested = { s: 'x' };
    const value = { n: 1n, s: 'a', b: true, nested };
    const json = fromCel(value) as Record<string, unknown>;
    expect(json).toEqual({ n: 1, s: 'a', b: true, nested: { s: 'x' } });
    expect(json).not.toBe(value);
    expect(json.nested).not.toBe(nested);
    expect(value.n).toBe(1n);
  });

  it('an event without integers enters CEL as it is', () => {
    const event = { a: 'x', b: [true, null, 1.5], c: { d: 'y' } };
    expect(toCel(event)).toBe(event);
  });
});
