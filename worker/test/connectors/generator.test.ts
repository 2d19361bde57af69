import fc from 'fast-check';
import { GeneratorSource } from '../../src/connectors/sources/generator';

describe('generator source', () => {
  it('emits the event at the rate with a seq counting from 0', () => {
    const g = new GeneratorSource({ rate_per_s: 10, event: { kind: 'demo' } });
    expect(g.due(1000)).toEqual([{ kind: 'demo', seq: 0 }]);
    expect(g.due(1050)).toEqual([]);
    expect(g.due(1300)).toEqual([
      { kind: 'demo', seq: 1 },
      { kind: 'demo', seq: 2 },
      { kind: 'demo', seq: 3 },
    ]);
  });

  it('catches up after a late tick, at most maxBatch per call, never ahead of the rate', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 50 }),
        (rate, steps) => {
          const g = new GeneratorSource({ rate_per_s: rate, event: {} }, 100);
          let now = 0;
          let seq = 0;
          for (const step of steps) {
            now += step;
            const batch = g.due(now);
            expect(batch.length).toBeLessThanOrEqual(100);
            for (const e of batch) expect(e).toEqual({ seq: seq++ });
            expect(g.count).toBeLessThanOrEqual(Math.floor((now * rate) / 1000) + 1);
          }
        },
      ),
    );
  });
});
