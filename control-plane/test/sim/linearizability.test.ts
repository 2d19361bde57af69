import fc from 'fast-check';
import {
  checkLinearizable,
  type CheckResult,
  type KvOp,
  type KvResult,
  type Operation,
  type OpStatus,
} from '../../sim/linearizability';

type Draft = Omit<Operation, 'id'>;

/** Numbers the drafts in order, so tests read as a timeline and ids match positions (from 1). */
function history(...drafts: Draft[]): Operation[] {
  return drafts.map((d, i) => ({ id: i + 1, ...d }));
}

function done(op: KvOp, result: KvResult, call: number, ret: number, client = 0): Draft {
  return { client, op, call, ret, status: 'ok', result };
}

const put = (key: string, value: string, call: number, ret: number, client = 0): Draft =>
  done({ kind: 'put', key, value }, { kind: 'put' }, call, ret, client);

const get = (key: string, value: string | null, call: number, ret: number, client = 0): Draft =>
  done({ kind: 'get', key }, { kind: 'get', value }, call, ret, client);

const cas = (
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  call: number,
  ret: number,
  client = 0,
): Draft => done({ kind: 'cas', key, expected, value }, { kind: 'cas', ok }, call, ret, client);

/** The response never arrived: `ret` is meaningless, so it is set to something misleading. */
const unknown = (d: Draft): Draft => ({ ...d, status: 'unknown', ret: -1, result: undefined });

/** Definitely had no effect; the result is left in place to prove it is ignored. */
const failed = (d: Draft): Draft => ({ ...d, status: 'fail' });

function expectViolation(h: readonly Operation[], key: string): string {
  const r = checkLinearizable(h);
  if (r.ok !== false) throw new Error(`expected a violation, got ${JSON.stringify(r)}`);
  expect(r.key).toBe(key);
  return r.explanation;
}

describe('checkLinearizable [linearizable]', () => {
  it('[linearizable] accepts an empty history', () => {
    expect(checkLinearizable([])).toEqual({ ok: true, keys: 0, operations: 0 });
  });

  it('[linearizable] sequential puts and gets', () => {
    const h = history(
      get('x', null, 0, 1),
      put('x', 'a', 2, 3),
      get('x', 'a', 4, 5),
      put('x', 'b', 6, 7),
      put('x', 'c', 8, 9),
      get('x', 'c', 10, 11),
    );
    expect(checkLinearizable(h)).toEqual({ ok: true, keys: 1, operations: 6 });
  });

  it('[linearizable] a get concurrent with a put may see the old value', () => {
    const h = history(put('x', 'a', 0, 1), put('x', 'b', 2, 10, 1), get('x', 'a', 3, 4, 2));
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] a get concurrent with a put may see the new value', () => {
    const h = history(put('x', 'a', 0, 1), put('x', 'b', 2, 10, 1), get('x', 'b', 3, 4, 2));
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] concurrent reads may disagree while a put is in flight', () => {
    const h = history(
      put('x', 'a', 0, 1),
      put('x', 'b', 2, 10, 1),
      get('x', 'b', 3, 4, 2),
      get('x', 'a', 3, 4, 3),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] intervals are closed: a get called as a put returns may precede it', () => {
    const h = history(put('x', 'a', 0, 5), get('x', null, 5, 6, 1));
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] cas succeeds on a match and fails on a mismatch', () => {
    const h = history(
      put('x', 'a', 0, 1),
      cas('x', 'a', 'b', true, 2, 3),
      cas('x', 'a', 'c', false, 4, 5),
      get('x', 'b', 6, 7),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] cas expecting absent creates the key once', () => {
    const h = history(
      cas('x', null, 'a', true, 0, 1),
      cas('x', null, 'b', false, 2, 3),
      get('x', 'a', 4, 5),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] concurrent cas ops: exactly one may win', () => {
    const h = history(
      cas('x', null, 'a', true, 0, 10, 1),
      cas('x', null, 'b', false, 0, 10, 2),
      get('x', 'a', 11, 12),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] unknown put that took effect long after its call', () => {
    const h = history(
      put('x', 'a', 0, 1),
      unknown(put('x', 'b', 2, 3, 1)),
      get('x', 'a', 10, 11),
      put('x', 'c', 12, 13),
      get('x', 'b', 20, 21),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] unknown put that never took effect', () => {
    const h = history(
      put('x', 'a', 0, 1),
      unknown(put('x', 'b', 2, 3, 1)),
      get('x', 'a', 10, 11),
      get('x', 'a', 20, 21),
    );
    expect(checkLinearizable(h)).toEqual({ ok: true, keys: 1, operations: 4 });
  });

  it('[linearizable] unknown put whose effect only a failed cas observes', () => {
    // The unobserved-write shortcut must not drop the put: the failed cas needs it applied.
    const h = history(
      put('x', 'a', 0, 1),
      unknown(put('x', 'b', 2, 3, 1)),
      cas('x', 'a', 'c', false, 10, 11),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] two unknown puts of one value, each read once', () => {
    const h = history(
      unknown(put('x', 'b', 0, 1, 1)),
      put('x', 'a', 1, 2),
      get('x', 'b', 3, 4),
      put('x', 'c', 5, 6),
      unknown(put('x', 'b', 6, 7, 2)),
      get('x', 'b', 8, 9),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] the earlier-called of two identical unknown puts explains an early read', () => {
    const h = history(
      unknown(put('x', 'b', 10, 11, 1)),
      unknown(put('x', 'b', 0, 1, 2)),
      put('x', 'a', 1, 2),
      get('x', 'b', 3, 4),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] unknown cas that took effect, and one that did not', () => {
    const h = history(
      put('x', 'a', 0, 1),
      unknown(cas('x', 'a', 'b', false, 2, 3, 1)),
      unknown(cas('x', 'b', 'c', false, 4, 5, 2)),
      get('x', 'b', 10, 11),
    );
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[linearizable] unknown get constrains nothing', () => {
    const h = history(put('x', 'a', 0, 1), unknown(get('x', 'zzz', 2, 3)), get('x', 'a', 4, 5));
    expect(checkLinearizable(h)).toEqual({ ok: true, keys: 1, operations: 3 });
  });

  it('[linearizable] fail ops are ignored, whatever they claim', () => {
    const h = history(
      put('x', 'a', 0, 1),
      failed(put('x', 'b', 2, 3)),
      failed(get('x', 'never', 4, 5)),
      failed(cas('x', 'nope', 'c', true, 6, 7)),
      failed(put('y', 'q', 1, 0)),
      get('x', 'a', 8, 9),
    );
    expect(checkLinearizable(h)).toEqual({ ok: true, keys: 1, operations: 2 });
  });

  it('[linearizable] several keys are independent registers', () => {
    const h = history(
      put('x', 'a', 0, 1),
      put('y', 'a', 0, 1),
      get('z', null, 0, 1),
      put('x', 'b', 2, 3),
      get('y', 'a', 4, 5),
      get('x', 'b', 4, 5),
    );
    expect(checkLinearizable(h)).toEqual({ ok: true, keys: 3, operations: 6 });
  });
});

describe('checkLinearizable [non-linearizable]', () => {
  it('[non-linearizable] stale read after a completed put', () => {
    const h = history(put('x', 'a', 0, 1), put('x', 'b', 2, 3), get('x', 'a', 4, 5, 1));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] intervals that do not touch are ordered', () => {
    const h = history(put('x', 'a', 0, 5), get('x', null, 5.5, 6, 1));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] read of a value never written', () => {
    const h = history(put('x', 'a', 0, 1), get('x', 'ghost', 2, 3));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] read of the value of a failed put', () => {
    const h = history(put('x', 'a', 0, 1), failed(put('x', 'b', 2, 3)), get('x', 'b', 4, 5));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] unknown put observed before it was called', () => {
    const h = history(put('x', 'a', 0, 1), get('x', 'b', 2, 3), unknown(put('x', 'b', 4, 5)));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] reads going back in time', () => {
    const h = history(
      put('x', 'old', 0, 1),
      put('x', 'new', 2, 20, 1),
      get('x', 'new', 3, 4, 2),
      get('x', 'old', 5, 6, 3),
    );
    expectViolation(h, 'x');
  });

  it('[non-linearizable] cas ok=true when the value could not have matched', () => {
    const h = history(put('x', 'a', 0, 1), cas('x', 'b', 'c', true, 2, 3));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] cas ok=false when the value must have matched', () => {
    const h = history(put('x', 'a', 0, 1), cas('x', 'a', 'c', false, 2, 3));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] two concurrent cas ops from absent both winning', () => {
    const h = history(cas('x', null, 'a', true, 0, 10, 1), cas('x', null, 'b', true, 0, 10, 2));
    expectViolation(h, 'x');
  });

  it('[non-linearizable] one bad key among good ones is the key reported', () => {
    const h = history(
      put('good1', 'a', 0, 1),
      put('bad', 'a', 0, 1, 1),
      put('good2', 'a', 0, 1, 2),
      get('good1', 'a', 2, 3),
      put('bad', 'b', 2, 3, 1),
      get('good2', 'a', 2, 3, 2),
      get('bad', 'a', 4, 5, 3),
    );
    const explanation = expectViolation(h, 'bad');
    expect(explanation).not.toContain('good');
  });

  it('[non-linearizable] explanation lists the key’s ops by call time and the longest prefix', () => {
    const h = history(
      get('x', 'b', 7, 8, 2),
      put('x', 'a', 0, 1, 0),
      unknown(put('x', 'b', 9, 9, 1)),
      failed(put('x', 'c', 3, 4, 3)),
    );
    const explanation = expectViolation(h, 'x');
    const lines = explanation.split('\n');
    expect(lines[1]).toBe('  #2 client 0 put("a") call 0 ret 1 => ok');
    expect(lines[2]).toBe('  #1 client 2 get() call 7 ret 8 => "b"');
    expect(lines[3]).toBe('  #3 client 1 put("b") call 9 ret ? => unknown');
    expect(explanation).not.toContain('#4');
    expect(explanation).toContain('longest linearizable prefix found (1 of 3 searched): #2');
    expect(explanation).toContain('register afterwards: "a"');
    expect(explanation).toContain('completed operations left unplaced: #1');
  });

  it('[non-linearizable] one unknown put cannot explain two separate reads of its value', () => {
    const h = history(
      put('x', 'a', 0, 1),
      unknown(put('x', 'b', 2, 3, 1)),
      get('x', 'b', 4, 5),
      put('x', 'c', 6, 7),
      get('x', 'b', 8, 9),
    );
    expectViolation(h, 'x');
  });

  it('[non-linearizable] distinct values nobody read are still not the value a cas expected', () => {
    const h = history(put('x', 'p', 0, 1), put('x', 'q', 2, 3), cas('x', 'p', 'r', true, 4, 5));
    expectViolation(h, 'x');
  });
});

describe('checkLinearizable [budget and input]', () => {
  it('[inconclusive] reports the key whose search ran out of steps', () => {
    const h = history(
      put('x', 'a', 0, 10, 1),
      put('x', 'b', 0, 10, 2),
      put('x', 'c', 0, 10, 3),
      get('x', 'a', 11, 12),
    );
    const r = checkLinearizable(h, { maxStepsPerKey: 2 });
    expect(r).toMatchObject({ ok: 'inconclusive', key: 'x' });
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('[inconclusive] a violation on another key still wins over an exhausted budget', () => {
    const h = history(
      put('a', 'a', 0, 10, 1),
      put('a', 'b', 0, 10, 2),
      put('a', 'c', 0, 10, 3),
      get('a', 'a', 11, 12),
      get('b', 'ghost', 0, 1),
    );
    const onlyA = h.filter((o) => o.op.key === 'a');
    expect(checkLinearizable(onlyA, { maxStepsPerKey: 5 })).toMatchObject({ ok: 'inconclusive' });
    expect(checkLinearizable(h, { maxStepsPerKey: 5 })).toMatchObject({ ok: false, key: 'b' });
  });

  it('[input] rejects an ok op without a matching result', () => {
    const bad: Operation = {
      id: 1,
      client: 0,
      op: { kind: 'get', key: 'x' },
      call: 0,
      ret: 1,
      status: 'ok',
    };
    expect(() => checkLinearizable([bad])).toThrow(/needs a 'get' result/);
    expect(() => checkLinearizable([{ ...bad, result: { kind: 'put' } }])).toThrow(TypeError);
  });

  it('[input] rejects an ok op that returned before it was called', () => {
    expect(() => checkLinearizable(history(put('x', 'a', 5, 4)))).toThrow(RangeError);
  });
});

// ---- Generated histories -------------------------------------------------------------------

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const VALUES = ['v0', 'v1', 'v2'];
type Fate = 'ok' | 'unknown-applied' | 'unknown-lost' | 'fail';

interface Command {
  key: string;
  kind: 'put' | 'get' | 'cas';
  value: string;
  expected: string | null;
  client: number;
  fate: Fate;
  /** How far the invocation precedes, and the response follows, the linearization point. */
  before: number;
  after: number;
}

const commandArb = (fates: Fate[]): fc.Arbitrary<Command> =>
  fc.record({
    key: fc.constantFrom(...KEYS.slice(0, 3)),
    kind: fc.constantFrom<Command['kind']>('put', 'get', 'cas'),
    value: fc.constantFrom(...VALUES),
    expected: fc.constantFrom<string | null>(null, ...VALUES),
    client: fc.nat(4),
    fate: fc.constantFrom(...fates),
    before: fc.nat(1000),
    after: fc.nat(1000),
  });

/**
 * Runs the commands one after another against a real register. Each op's interval contains its
 * linearization point (`spacing` apart), so the history is linearizable by construction; `spread`
 * bounds how far intervals reach and hence whether they overlap neighbours.
 */
function execute(commands: readonly Command[], spacing: number, spread: number): Operation[] {
  const register = new Map<string, string>();
  return commands.map((c, i): Operation => {
    const at = i * spacing;
    const call = at - (c.before % (spread + 1));
    const ret = at + (c.after % (spread + 1));
    const current = register.get(c.key) ?? null;
    const applied = c.fate === 'ok' || c.fate === 'unknown-applied';
    let op: KvOp;
    let result: KvResult;
    switch (c.kind) {
      case 'put':
        op = { kind: 'put', key: c.key, value: c.value };
        result = { kind: 'put' };
        if (applied) register.set(c.key, c.value);
        break;
      case 'get':
        op = { kind: 'get', key: c.key };
        result = { kind: 'get', value: current };
        break;
      case 'cas': {
        op = { kind: 'cas', key: c.key, expected: c.expected, value: c.value };
        const ok = current === c.expected;
        result = { kind: 'cas', ok };
        if (applied && ok) register.set(c.key, c.value);
        break;
      }
    }
    const status: OpStatus = c.fate === 'ok' ? 'ok' : c.fate === 'fail' ? 'fail' : 'unknown';
    return {
      id: i,
      client: c.client,
      op,
      call,
      ret,
      status,
      ...(status === 'unknown' ? {} : { result }),
    };
  });
}

/**
 * The definition, searched exhaustively: every order of the kept ops that respects real time, with
 * unknown ops free to take effect anywhere after their call or not at all. Exponential, but with no
 * pruning to get wrong; memoized on (ops placed, register) only to make a dozen ops quick.
 */
function bruteForce(history: readonly Operation[]): boolean {
  const kept = history.filter((o) => o.status !== 'fail');
  return [...new Set(kept.map((o) => o.op.key))].every((key) => {
    const ops = kept.filter((o) => o.op.key === key);
    const mustPlace = ops.reduce((m, o, i) => (o.status === 'ok' ? m | (1 << i) : m), 0);
    const seen = new Set<string>();
    const extend = (placed: number, register: string | null): boolean => {
      if ((placed & mustPlace) === mustPlace) return true;
      if (seen.has(`${placed} ${register}`)) return false;
      seen.add(`${placed} ${register}`);
      return ops.some((o, i) => {
        if (placed & (1 << i)) return false;
        const overdue = ops.some(
          (p, j) => !(placed & (1 << j)) && p.status === 'ok' && p.ret < o.call,
        );
        if (overdue) return false;
        const r = o.status === 'ok' ? o.result : undefined;
        let next = register;
        if (o.op.kind === 'put') next = o.op.value;
        else if (o.op.kind === 'get') {
          if (r?.kind === 'get' && r.value !== register) return false;
        } else {
          const matches = register === o.op.expected;
          if (r?.kind === 'cas' && r.ok !== matches) return false;
          if (matches) next = o.op.value;
        }
        return extend(placed | (1 << i), next);
      });
    };
    return extend(0, null);
  });
}

const arbitraryOp = fc
  .record({
    key: fc.constantFrom('x', 'y'),
    kind: fc.constantFrom('put', 'get', 'cas'),
    value: fc.constantFrom(...VALUES.slice(0, 2)),
    expected: fc.constantFrom(null, ...VALUES.slice(0, 2)),
    read: fc.constantFrom(null, ...VALUES.slice(0, 2)),
    casOk: fc.boolean(),
    call: fc.nat(20),
    length: fc.nat(8),
    status: fc.constantFrom<OpStatus>('ok', 'ok', 'ok', 'unknown', 'fail'),
  })
  .map((a): Draft => ({
    client: 0,
    op:
      a.kind === 'put'
        ? { kind: 'put', key: a.key, value: a.value }
        : a.kind === 'get'
          ? { kind: 'get', key: a.key }
          : { kind: 'cas', key: a.key, expected: a.expected, value: a.value },
    call: a.call,
    ret: a.call + a.length,
    status: a.status,
    result:
      a.kind === 'put'
        ? { kind: 'put' }
        : a.kind === 'get'
          ? { kind: 'get', value: a.read }
          : { kind: 'cas', ok: a.casOk },
  }));

describe('checkLinearizable [property]', () => {
  it('[property] agrees with brute force on small arbitrary histories', () => {
    // Arbitrary results make about half of these non-linearizable, exercising both verdicts.
    fc.assert(
      fc.property(fc.array(arbitraryOp, { maxLength: 12 }), (drafts) => {
        const h = history(...drafts);
        expect(checkLinearizable(h).ok).toBe(bruteForce(h));
      }),
      { numRuns: 1000 },
    );
  });

  const allFates: Fate[] = ['ok', 'ok', 'ok', 'ok', 'unknown-applied', 'unknown-lost', 'fail'];

  it('[property] agrees with brute force on linearizable histories perturbed once', () => {
    // Close to the boundary: one flipped cas, changed read or shifted interval, on two keys.
    const perturbation = fc.record({
      at: fc.nat(),
      how: fc.constantFrom('read', 'cas', 'shift'),
      read: fc.constantFrom(null, ...VALUES),
    });
    fc.assert(
      fc.property(
        fc.array(commandArb(allFates), { maxLength: 16 }),
        fc.integer({ min: 0, max: 60 }),
        perturbation,
        (commands, spread, { at, how, read }) => {
          const h = execute(
            commands.map((c) => ({ ...c, key: c.key === 'k2' ? 'k0' : c.key })),
            10,
            spread,
          );
          const o = h[at % Math.max(h.length, 1)];
          if (o?.status === 'ok') {
            const i = h.indexOf(o);
            if (how === 'shift') h[i] = { ...o, call: o.call + 25, ret: o.ret + 25 };
            else if (how === 'read' && o.result?.kind === 'get') {
              h[i] = { ...o, result: { kind: 'get', value: read } };
            } else if (how === 'cas' && o.result?.kind === 'cas') {
              h[i] = { ...o, result: { kind: 'cas', ok: !o.result.ok } };
            }
          }
          expect(checkLinearizable(h).ok).toBe(bruteForce(h));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('[property] sequential histories with non-overlapping intervals are linearizable', () => {
    fc.assert(
      fc.property(fc.array(commandArb(allFates), { maxLength: 80 }), (commands) => {
        // Intervals stay within 49 of their point, and points are 100 apart.
        expect(checkLinearizable(execute(commands, 100, 49)).ok).toBe(true);
      }),
    );
  });

  it('[property] histories with overlapping intervals around their points are linearizable', () => {
    fc.assert(
      fc.property(
        fc.array(commandArb(allFates), { maxLength: 80 }),
        fc.integer({ min: 0, max: 60 }),
        (commands, spread) => {
          expect(checkLinearizable(execute(commands, 10, spread)).ok).toBe(true);
        },
      ),
    );
  });

  it('[property] a get mutated to return a value never written is detected', () => {
    const sequential = fc
      .array(commandArb(['ok', 'ok', 'ok', 'fail']), { minLength: 1, maxLength: 80 })
      .filter((cs) => cs.some((c) => c.kind === 'get' && c.fate === 'ok'));
    fc.assert(
      fc.property(sequential, fc.nat(), (commands, pick) => {
        const h = execute(commands, 100, 49);
        const gets = h.filter((o) => o.op.kind === 'get' && o.status === 'ok');
        const victim = gets[pick % gets.length] as Operation;
        const mutated = h.map((o) =>
          o === victim ? { ...o, result: { kind: 'get' as const, value: 'never-written' } } : o,
        );
        const r = checkLinearizable(mutated);
        expect(r).toMatchObject({ ok: false, key: victim.op.key });
        if (r.ok === false) expect(r.explanation).toContain(`#${victim.id} `);
      }),
    );
  });
});

describe('checkLinearizable [performance]', () => {
  /** mulberry32: a fixed workload, so a timing regression is not a flaky seed. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Roughly what the simulator produces: fresh values, some reuse for cas, a few lost replies. */
  function workload(n: number, seed: number): Command[] {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const fates: [number, Fate][] = [
      [0.9, 'ok'],
      [0.94, 'unknown-applied'],
      [0.97, 'unknown-lost'],
      [1, 'fail'],
    ];
    return Array.from({ length: n }, (_, i): Command => {
      const roll = r();
      return {
        key: pick(KEYS),
        kind: pick(['put', 'put', 'get', 'get', 'get', 'cas'] as const),
        value: r() < 0.7 ? `w${i}` : pick(VALUES),
        expected: r() < 0.5 ? pick(VALUES) : null,
        client: Math.floor(r() * 10),
        fate: (fates.find(([p]) => roll < p) ?? [1, 'ok'])[1],
        before: Math.floor(r() * 1000),
        after: Math.floor(r() * 1000),
      };
    });
  }

  function timed(h: readonly Operation[]): { result: CheckResult; ms: number } {
    const started = performance.now();
    const result = checkLinearizable(h);
    return { result, ms: performance.now() - started };
  }

  it('[performance] 1,000 mostly sequential ops over 5 keys check in well under 5 s', () => {
    const { result, ms } = timed(execute(workload(1000, 3), 100, 60));
    expect(result.ok).toBe(true);
    expect(ms).toBeLessThan(5000);
  });

  it('[performance] 2,000 overlapping ops over 5 keys check in well under 5 s', () => {
    // Points 10 apart and intervals up to 80 wide: each op overlaps about eight others.
    const { result, ms } = timed(execute(workload(2000, 7), 10, 40));
    expect(result.ok).toBe(true);
    expect(ms).toBeLessThan(5000);
  });

  it('[performance] a stale read at the end of 2,000 overlapping ops is found in well under 5 s', () => {
    // Refuting needs the whole search space explored, unlike accepting, which needs one path.
    const h = execute(workload(2000, 11), 10, 40);
    const at = h.length * 10 + 1000;
    const last = (value: string | null, call: number): Draft[] => [
      put('k0', 'final-1', call, call + 1),
      put('k0', 'final-2', call + 2, call + 3),
      get('k0', value, call + 4, call + 5),
    ];
    const stale = [...h, ...last('final-1', at).map((d, i) => ({ id: h.length + i, ...d }))];
    const { result, ms } = timed(stale);
    expect(result).toMatchObject({ ok: false, key: 'k0' });
    expect(ms).toBeLessThan(5000);
    const fresh = [...h, ...last('final-2', at).map((d, i) => ({ id: h.length + i, ...d }))];
    expect(checkLinearizable(fresh).ok).toBe(true);
  });
});
