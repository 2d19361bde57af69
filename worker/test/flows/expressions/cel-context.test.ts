import fc from 'fast-check';
import { CEL } from '../../../../control-plane/src/flow-spec';
import { fromCel, toCel, type Json } from '../../../src/flows/expressions/cel-values';
import {
  celContext,
  compileExpression,
  type Evaluation,
  type EventMeta,
} from '../../../src/flows/expressions/expression';

const META: EventMeta = { vnode: 3, worker: 'w1', flow: 'app-logs', ingest_ts: 1_700_000_000_123 };

/** The reference: the whole event converted before evaluating, as before conversions were selective. */
function wholeEvaluation(source: string, event: Json): Evaluation {
  const variables = {
    event: toCel(event),
    meta: {
      vnode: BigInt(META.vnode),
      worker: META.worker,
      flow: META.flow,
      ingest_ts: BigInt(META.ingest_ts),
    },
  };
  try {
    return { ok: true, value: fromCel(CEL.parse(source)(variables)) };
  } catch (err) {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    return { ok: false, error: message };
  }
}

/** Events as they come off the wire: parsed JSON, so `__proto__` is an ordinary key. */
function parsed(text: string): Json {
  return JSON.parse(text) as Json;
}

const EXPRESSIONS = [
  'event.a',
  'event.a.b',
  'event.a.b + 1',
  'has(event.a)',
  'has(event.a.b)',
  'event.n + 1',
  'event.n * 2.0',
  'event.n > 1',
  'type(event.n) == int',
  'event["k-1"]',
  'event[event.key]',
  'event[event.key] + 1',
  '{"e": event}.e.n + 1',
  'event.exists(k, k == "n" && event[k] > 1)',
  'event',
  'size(event)',
  '"a" in event',
  '{"e": event, "vnode": meta.vnode}',
  '{"a": event.a, "n": event.n, "ts": meta.ingest_ts}',
  '[event.a, event.n, event.list]',
  'event.list.map(x, x)',
  'event.list.all(x, x > 0)',
  'event.a == event.b',
  'event.constructor',
  'has(event.constructor)',
  'event.toString',
  'event.__proto__',
  'meta.vnode + event.n',
];

describe('selective conversion gives what whole-event conversion gave', () => {
  const cases: [string, Json][] = [
    ['event.a.b.c + 1', { a: { b: { c: 41 } }, z: 7 }],
    ['event.a.b', { a: { b: [1, 2.5, { c: 3 }] }, n: 1 }],
    ['event.n + 1', { n: 41, x: 1.5 }],
    ['event.x * 2.0', { n: 41, x: 1.25 }],
    ['event.n + 1.5', { n: 1 }],
    ['event.level != "debug"', { seq: 1 }],
    ['event.a.b', { a: 'not a map' }],
    ['has(event.a)', { b: 1 }],
    ['has(event.a)', { a: 1 }],
    ['has(event.a.b)', { a: { c: 1 } }],
    ['has(event.toString)', {}],
    ['event', { a: 1, b: [2, { c: 3.5 }] }],
    ['{"e": event, "v": meta.vnode}', { a: 1 }],
    ['event["k-1"] + 1', { 'k-1': 2, k: 1 }],
    ['event["k-1"]', { k: 1 }],
    ['event[event.key] + 1', { key: 'n', n: 5 }],
    ['[event][0].n + 1', { n: 5 }],
    ['event.__proto__.n', parsed('{"__proto__": {"n": 1}, "m": 2}')],
    ['event.__proto__', parsed('{"m": 2}')],
    ['event.a', parsed('{"constructor": 1, "a": 2}')],
    ['event.a', [1, 2]],
    ['event.a', 'a string'],
  ];

  it.each(cases)('%s on %j', (source, event) => {
    const expected = wholeEvaluation(source, event);
    expect(compileExpression(source).evaluate(celContext(event, META))).toEqual(expected);
  });

  it('each event sees its own meta, whichever event came before', () => {
    const expression = compileExpression('[meta.vnode, meta.worker, meta.flow, meta.ingest_ts]');
    const metas: EventMeta[] = [
      META,
      { ...META, ingest_ts: META.ingest_ts + 1 },
      { ...META, vnode: 4 },
      { ...META, worker: 'w2' },
      { ...META, flow: 'other' },
      META,
    ];
    for (const meta of [...metas, ...metas.reverse()]) {
      expect(expression.evaluate(celContext({}, meta))).toEqual({
        ok: true,
        value: [meta.vnode, meta.worker, meta.flow, meta.ingest_ts],
      });
    }
  });

  it('expressions sharing one event each see what they would alone, and the event is unchanged', () => {
    const key = fc.constantFrom(
      'a',
      'b',
      'n',
      'key',
      'list',
      'k-1',
      'constructor',
      '__proto__',
      'toString',
    );
    // Small ints and key names often, so that arithmetic and `event[event.key]` succeed often.
    const value = fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom('n', 'a', 'k-1'),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const entries = fc.array(fc.tuple(key, value), { maxLength: 6 });
    const objectEvent = entries.map((es) =>
      parsed(`{${es.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`),
    );
    const event = fc.oneof(
      { arbitrary: objectEvent, weight: 4 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => parsed(JSON.stringify(v))), weight: 1 },
    );
    const compiled = new Map(EXPRESSIONS.map((s) => [s, compileExpression(s)]));
    fc.assert(
      fc.property(
        event,
        fc.array(fc.constantFrom(...EXPRESSIONS), { minLength: 1, maxLength: 5 }),
        (e, sources) => {
          const before = JSON.stringify(e);
          const context = celContext(e, META);
          for (const source of sources) {
            const got = compiled.get(source)?.evaluate(context);
            expect([source, got]).toEqual([source, wholeEvaluation(source, e)]);
          }
          expect(JSON.stringify(e)).toBe(before);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
