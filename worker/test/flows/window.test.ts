import fc from 'fast-check';
import type { Json } from '../../src/flows/expressions/cel-values';
import type { EventMeta } from '../../src/flows/expressions/expression';
import { PipelineEvent, type OperatorState, type Port } from '../../src/flows/operators/operator';
import { WindowOperator, type WindowSettings } from '../../src/flows/operators/window';

jest.setTimeout(60_000);

const meta = (ts: number): EventMeta => ({ vnode: 2, worker: 'w', flow: 'f', ingest_ts: ts });
const SETTINGS: WindowSettings = {
  key: 'event.host',
  size_ms: 1000,
  aggregate: {
    n: 'count',
    total: 'sum(event.v)',
    low: 'min(event.v)',
    high: 'max(event.v)',
    mean: 'avg(event.v)',
  },
};

type Step = { readonly event: Json; readonly ts: number } | { readonly now: number };
type Output = [Port, Json, string | undefined];

function run(op: WindowOperator, steps: readonly Step[], out: Output[]): void {
  const emit = (port: Port, e: PipelineEvent): void => void out.push([port, e.data, e.error]);
  for (const s of steps) {
    if ('now' in s) op.advance(s.now, emit);
    else op.process(new PipelineEvent(s.event, meta(s.ts)), emit);
  }
}

describe('window', () => {
  it("emits each key's window with every aggregate once time passes its end", () => {
    const out: Output[] = [];
    run(
      new WindowOperator(SETTINGS),
      [
        { event: { host: 'a', v: 2 }, ts: 100 },
        { event: { host: 'b', v: 10 }, ts: 200 },
        { event: { host: 'a', v: 4 }, ts: 900 },
        { event: { host: 'a', v: 7 }, ts: 1500 },
        { now: 999 },
        { now: 1000 },
        { now: 1999 },
        { now: 2000 },
      ],
      out,
    );
    expect(out).toEqual([
      [
        'out',
        { key: 'a', window_start: 0, window_end: 1000, n: 2, total: 6, low: 2, high: 4, mean: 3 },
        undefined,
      ],
      [
        'out',
        {
          key: 'b',
          window_start: 0,
          window_end: 1000,
          n: 1,
          total: 10,
          low: 10,
          high: 10,
          mean: 10,
        },
        undefined,
      ],
      [
        'out',
        {
          key: 'a',
          window_start: 1000,
          window_end: 2000,
          n: 1,
          total: 7,
          low: 7,
          high: 7,
          mean: 7,
        },
        undefined,
      ],
    ]);
  });

  it('sends late events, failing expressions and non-numbers to err, counting them nowhere', () => {
    const out: Output[] = [];
    run(
      new WindowOperator(SETTINGS),
      [
        { event: { host: 'a', v: 1 }, ts: 10 },
        { event: { host: 'a', v: 'x' }, ts: 20 },
        { event: { v: 1 }, ts: 30 },
        { now: 1000 },
        { event: { host: 'a', v: 1 }, ts: 999 },
      ],
      out,
    );
    expect(
      out.map(([port, data, error]) => [
        port,
        port === 'out' ? (data as { n: number }).n : error?.split(':')[0],
      ]),
    ).toEqual([
      ['err', 'window total'],
      ['err', 'window key'],
      ['out', 1],
      ['err', 'window'],
    ]);
  });

  it('cut anywhere, written out and read back, continues exactly as an uninterrupted run', () => {
    const steps = fc
      .array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              host: fc.constantFrom('a', 'b', 'c'),
              v: fc.integer({ min: -50, max: 50 }),
              dt: fc.integer({ min: 0, max: 400 }),
            }),
          },
          { weight: 1, arbitrary: fc.record({ tick: fc.integer({ min: 0, max: 1500 }) }) },
        ),
        { maxLength: 200 },
      )
      .map((items) => {
        let ts = 0;
        return items.map((item): Step => {
          if ('tick' in item) return { now: ts - 1000 + item.tick };
          ts += item.dt;
          return { event: { host: item.host, v: item.v }, ts };
        });
      });
    fc.assert(
      fc.property(steps, fc.nat(), (all, at) => {
        const whole: Output[] = [];
        run(new WindowOperator(SETTINGS), all, whole);
        const cut = at % (all.length + 1);
        const resumed: Output[] = [];
        const first = new WindowOperator(SETTINGS);
        run(first, all.slice(0, cut), resumed);
        const second = new WindowOperator(SETTINGS);
        second.restore(JSON.parse(JSON.stringify(first.snapshot())) as OperatorState);
        run(second, all.slice(cut), resumed);
        expect(resumed).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
