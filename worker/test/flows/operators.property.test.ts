/**
 * The properties issue 4 asks of operators: a stream cut anywhere, the state written out, read
 * back into a fresh operator and continued gives exactly the outputs of an uninterrupted run; a
 * throttle never lets more than `rate` events of one key through in one window.
 */
import fc from 'fast-check';
import type { Json } from '../../src/flows/expressions/cel-values';
import type { EventMeta } from '../../src/flows/expressions/expression';
import { MapOperator } from '../../src/flows/operators/map';
import {
  PipelineEvent,
  type Operator,
  type OperatorState,
  type Port,
} from '../../src/flows/operators/operator';
import { ThrottleOperator } from '../../src/flows/operators/throttle';
import { WhereOperator } from '../../src/flows/operators/where';

jest.setTimeout(60_000);

interface Input {
  readonly data: Json;
  readonly ts: number;
}

/** Events of a few keys; time mostly moves forward, sometimes back a little (several sources). */
const stream = fc
  .array(
    fc.record({
      app: fc.constantFrom('a', 'b', 'c', 'd'),
      level: fc.constantFrom('debug', 'info', 'warn'),
      n: fc.integer({ min: -5, max: 5 }),
      // Now and then far back in time: past the throttle's kept windows.
      step: fc.oneof(
        { weight: 9, arbitrary: fc.integer({ min: -300, max: 700 }) },
        { weight: 1, arbitrary: fc.integer({ min: -9000, max: -4000 }) },
      ),
    }),
    { maxLength: 300 },
  )
  .map((items) => {
    let ts = 1_000_000;
    return items.map(({ step, ...data }): Input => {
      ts = Math.max(0, ts + step);
      return { data: data, ts };
    });
  });

const meta = (ts: number): EventMeta => ({ vnode: 1, worker: 'w', flow: 'f', ingest_ts: ts });

type Output = [Port, Json, string | undefined];

function feed(op: Operator, inputs: readonly Input[], out: Output[]): void {
  for (const i of inputs) {
    op.process(new PipelineEvent(i.data, meta(i.ts)), (port, e) =>
      out.push([port, e.data, e.error]),
    );
  }
}

function cutAndResume(make: () => Operator, inputs: readonly Input[], cut: number): Output[] {
  const out: Output[] = [];
  const first = make();
  feed(first, inputs.slice(0, cut), out);
  const written = JSON.parse(JSON.stringify(first.snapshot())) as OperatorState;
  const second = make();
  second.restore(written);
  feed(second, inputs.slice(cut), out);
  return out;
}

const OPERATORS: Record<string, () => Operator> = {
  where: () => new WhereOperator('event.level != "debug" && event.n >= 0'),
  map: () => new MapOperator('{"app": event.app, "double": event.n * 2, "vnode": meta.vnode}'),
  throttle: () => new ThrottleOperator({ key: 'event.app', rate: 3, interval_ms: 1000 }),
};

describe.each(Object.entries(OPERATORS))('%s', (_name, make) => {
  it('cut anywhere, written out and read back, continues exactly as an uninterrupted run', () => {
    fc.assert(
      fc.property(stream, fc.nat(), (inputs, at) => {
        const whole: Output[] = [];
        feed(make(), inputs, whole);
        const cut = inputs.length === 0 ? 0 : at % (inputs.length + 1);
        expect(cutAndResume(make, inputs, cut)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe('throttle', () => {
  it('never lets more than rate events of one key through in one window, however the stream is cut', () => {
    fc.assert(
      fc.property(
        stream,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 100, max: 2000 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        (inputs, rate, interval, cuts) => {
          const make = (): Operator =>
            new ThrottleOperator({ key: 'event.app', rate, interval_ms: interval });
          const passed = new Map<string, number>();
          let op = make();
          inputs.forEach((input, i) => {
            if (cuts.some((c) => inputs.length > 0 && c % inputs.length === i)) {
              const state = JSON.parse(JSON.stringify(op.snapshot())) as OperatorState;
              op = make();
              op.restore(state);
            }
            op.process(new PipelineEvent(input.data, meta(input.ts)), (port, e) => {
              if (port !== 'out') return;
              const k = `${JSON.stringify((e.data as { app: string }).app)}@${Math.floor(e.meta.ingest_ts / interval)}`;
              passed.set(k, (passed.get(k) ?? 0) + 1);
            });
          });
          for (const count of passed.values()) expect(count).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('passes exactly rate per key per window when events come in order', () => {
    const op = new ThrottleOperator({ key: 'event.app', rate: 2, interval_ms: 1000 });
    const ports: string[] = [];
    for (const [app, ts] of [
      ['a', 0],
      ['a', 10],
      ['a', 20],
      ['b', 30],
      ['a', 1000],
      ['a', 1999],
      ['a', 1999],
    ] as const) {
      op.process(new PipelineEvent({ app }, meta(ts)), (port) => ports.push(`${app}:${port}`));
    }
    expect(ports).toEqual([
      'a:out',
      'a:out',
      'a:overflow',
      'b:out',
      'a:out',
      'a:out',
      'a:overflow',
    ]);
  });

  it('sends an event older than the kept windows to overflow, and a key that fails to err', () => {
    const op = new ThrottleOperator({ key: 'event.app', rate: 5, interval_ms: 100 });
    const ports: string[] = [];
    const emit = (port: Port): void => void ports.push(port);
    op.process(new PipelineEvent({ app: 'a' }, meta(10_000)), emit);
    op.process(new PipelineEvent({ app: 'a' }, meta(10_000 - 100 * 10)), emit);
    op.process(new PipelineEvent({}, meta(10_000)), emit);
    expect(ports).toEqual(['out', 'overflow', 'err']);
  });

  it('refuses state of another kind or format', () => {
    const op = new ThrottleOperator({ key: 'event.app', rate: 1, interval_ms: 1 });
    expect(() => op.restore({ kind: 'window', v: 1 })).toThrow(/window state/);
    expect(() => op.restore({ kind: 'throttle', v: 2 })).toThrow(/format 2/);
    expect(() =>
      op.restore({ kind: 'throttle', v: 1, newest: 1, keys: [['a', [[1, 'x']]]] }),
    ).toThrow(/malformed/);
  });
});

describe('where and map', () => {
  it('route failures to err with the reason, and a non-boolean or non-map result too', () => {
    const out: Output[] = [];
    feed(
      new WhereOperator('event.level'),
      [
        { data: { level: 'info' }, ts: 0 },
        { data: {}, ts: 0 },
      ],
      out,
    );
    feed(new MapOperator('event.n'), [{ data: { n: 1 }, ts: 0 }], out);
    expect(out.map(([port, , error]) => [port, error?.split(':')[0]])).toEqual([
      ['err', 'where'],
      ['err', 'where'],
      ['err', 'map'],
    ]);
  });
});
