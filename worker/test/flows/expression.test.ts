import fc from 'fast-check';
import { fromCel, toCel, type Json } from '../../src/flows/expressions/cel-values';
import {
  celContext,
  compileExpression,
  type EventMeta,
} from '../../src/flows/expressions/expression';

const META: EventMeta = { vnode: 3, worker: 'w1', flow: 'app-logs', ingest_ts: 1_700_000_000_123 };

function run(source: string, event: Json): unknown {
  return compileExpression(source).evaluate(celContext(event, META));
}

describe('CEL expressions over events', () => {
  it('filters and projects as the contract example does', () => {
    expect(run('event.level != "debug"', { level: 'info' })).toEqual({ ok: true, value: true });
    expect(run('event.level != "debug"', { level: 'debug' })).toEqual({ ok: true, value: false });
    expect(
      run('{"app": event.application, "msg": event.message, "vnode": meta.vnode}', {
        application: 'billing',
        message: 'paid',
      }),
    ).toEqual({ ok: true, value: { app: 'billing', msg: 'paid', vnode: 3 } });
  });

  it('integral JSON numbers are CEL ints, others doubles; results come back as JSON numbers', () => {
    expect(run('event.n + 1', { n: 41 })).toEqual({ ok: true, value: 42 });
    expect(run('event.x * 2.0', { x: 1.25 })).toEqual({ ok: true, value: 2.5 });
    expect(run('meta.ingest_ts', {})).toEqual({ ok: true, value: META.ingest_ts });
    expect(run('[event.a, event.b]', { a: 'x', b: [1, { c: null }] })).toEqual({
      ok: true,
      value: ['x', [1, { c: null }]],
    });
  });

  it('a failure on one event is a result naming the reason, never an exception', () => {
    for (const [source, event] of [
      ['event.level != "debug"', {}],
      ['event.n + 1.5', { n: 1 }],
      ['event.n / 0', { n: 1 }],
      ['event.a.b', { a: 'not a map' }],
      ['size(event.list) > 2', { list: 5 }],
    ] as const) {
      const res = compileExpression(source).evaluate(celContext(event, META));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error.length).toBeGreaterThan(0);
    }
  });

  it('a syntax error fails at compile time', () => {
    expect(() => compileExpression('event.')).toThrow();
  });

  it('JSON survives the round trip through CEL values unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.parse(JSON.stringify(value)) as Json;
        expect(fromCel(toCel(json))).toEqual(json);
      }),
    );
  });

  it('a key __proto__ stays a key both ways', () => {
    const json = JSON.parse('{"__proto__": {"n": 1}, "m": 2}') as Json;
    const back = fromCel(toCel(json));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(JSON.stringify(back)).toBe('{"__proto__":{"n":1},"m":2}');
  });

  it('values JSON cannot hold are refused', () => {
    expect(() => fromCel(2n ** 60n)).toThrow(/not JSON/);
    expect(() => fromCel(new Uint8Array(2))).toThrow(/not JSON/);
    expect(() => fromCel(Number.NaN)).toThrow(/not JSON/);
  });
});
