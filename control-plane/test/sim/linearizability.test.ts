import fc from 'fast-check';
import {
  checkLinearizable,
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

describe('checkLinearizable [property]', () => {
  const allFates: Fate[] = ['ok', 'ok', 'ok', 'ok', 'unknown-applied', 'unknown-lost', 'fail'];

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

  function workload(n: number, seed: number): Command[] {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    return Array.from({ length: n }, (_, i): Command => {
      const roll = r();
      return {
        key: pick(KEYS),
        kind: pick(['put', 'put', 'get', 'get', 'get', 'cas'] as const),
        // Mostly fresh values, as the simulator writes, with some reuse to make cas interesting.
        value: r() < 0.7 ? `w${i}` : pick(VALUES),
        expected: r() < 0.5 ? pick(VALUES) : null,
        client: Math.floor(r() * 10),
        fate:
          roll < 0.9
            ? 'ok'
            : roll < 0.94
              ? 'unknown-applied'
              : roll < 0.97
                ? 'unknown-lost'
                : 'fail',
        before: Math.floor(r() * 1000),
        after: Math.floor(r() * 1000),
      };
    });
  }

  it('[performance] 2,000 overlapping ops over 5 keys check in well under 5 s', () => {
    const h = execute(workload(2000, 7), 10, 40);
    const started = performance.now();
    const r = checkLinearizable(h);
    const elapsed = performance.now() - started;
    expect(r.ok).toBe(true);
    expect(elapsed).toBeLessThan(5000);
  });

  it('[performance] a stale read at the end of 2,000 ops is found in well under 5 s', () => {
    const h = execute(workload(2000, 11), 10, 40);
    const lastPut = h.findLast((o) => o.op.kind === 'put' && o.status === 'ok') as Operation;
    const at = h.length * 10 + 1000;
    h.push(
      { ...lastPut, id: h.length, call: at, ret: at + 1, status: 'ok', result: { kind: 'put' } },
      {
        id: h.length + 1,
        client: 0,
        op: { kind: 'get', key: lastPut.op.key },
        call: at + 2,
        ret: at + 3,
        status: 'ok',
        result: { kind: 'get', value: 'stale' },
      },
    );
    const started = performance.now();
    const r = checkLinearizable(h);
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ ok: false, key: lastPut.op.key });
    expect(elapsed).toBeLessThan(5000);
  });
});
