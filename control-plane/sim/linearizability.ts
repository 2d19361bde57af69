/**
 * Linearizability checker for key-value register histories recorded by the simulator.
 *
 * Wing & Gong's search with Lowe's memoization, as in Porcupine: each key is an independent
 * register (P-compositionality), so each key's sub-history is checked on its own, which keeps the
 * exponential part of the search bounded by per-key concurrency rather than the whole history.
 * Porcupine's search alone blows up on the ops whose outcome is unknown that partitions leave
 * behind, so `search` adds pruning rules for those, each one a rewrite any linearization admits.
 */
import { fmix32 } from '../src/hash/murmur3';

export type KvOp =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string }; // expected null = "key absent"
export type KvResult =
  | { kind: 'put' }
  | { kind: 'get'; value: string | null } // null = absent
  | { kind: 'cas'; ok: boolean };
export type OpStatus = 'ok' | 'fail' | 'unknown';
export interface Operation {
  id: number;
  client: number;
  op: KvOp;
  call: number; // virtual time of invocation
  ret: number; // virtual time of the response; ignored (treated as +Infinity) when status is 'unknown'
  status: OpStatus; // 'ok': completed with `result`; 'fail': definitely had no effect (drop it); 'unknown': may or may not have taken effect, at any time after `call`
  result?: KvResult; // present when status is 'ok'
}
export type CheckResult =
  | { ok: true; keys: number; operations: number }
  | { ok: false; key: string; explanation: string } // explanation: human-readable, lists the operations of that key (id, client, op, call, ret, result) sorted by call, and the longest linearizable prefix found
  | { ok: 'inconclusive'; key: string; reason: string }; // search budget exhausted

const DEFAULT_MAX_STEPS_PER_KEY = 1_000_000;

/** Register values are interned per key so model states compare and hash as small integers. */
const ABSENT = 0;
/** Stands for every written value that no get returned and no cas expected. */
const UNOBSERVED = 1;
/** Returned by `step` when the operation's recorded outcome is impossible from that state. */
const INCONSISTENT = -1;

// How each operation constrains and changes the register, decided once before the search.
const WRITE = 0; // put: always succeeds, whatever its status
const READ = 1; // get that returned `value`
const CAS_OK = 2; // cas that reported success
const CAS_FAILED = 3; // cas that reported failure
const CAS_MAYBE = 4; // cas whose outcome was never observed: the register decides

type StepKind = typeof WRITE | typeof READ | typeof CAS_OK | typeof CAS_FAILED | typeof CAS_MAYBE;

interface SearchOp {
  source: Operation;
  kind: StepKind;
  /** Written value for put/cas, observed value for get (interned). */
  value: number;
  /** Expected value for cas (interned). */
  expected: number;
  call: number;
  ret: number;
}

function step(state: number, op: SearchOp): number {
  switch (op.kind) {
    case WRITE:
      return op.value;
    case READ:
      return state === op.value ? state : INCONSISTENT;
    case CAS_OK:
      return state === op.expected ? op.value : INCONSISTENT;
    case CAS_FAILED:
      return state !== op.expected ? state : INCONSISTENT;
    case CAS_MAYBE:
      return state === op.expected ? op.value : state;
  }
}

/**
 * A step is one candidate op considered or one stored pair compared while deduplicating, so the
 * budget bounds time rather than just depth; a search that runs out says 'inconclusive'.
 */
export function checkLinearizable(
  history: readonly Operation[],
  opts?: { maxStepsPerKey?: number },
): CheckResult {
  const maxSteps = opts?.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY;
  const byKey = new Map<string, Operation[]>();
  let operations = 0;
  for (const o of history) {
    // A failed op had no effect, so nothing about it, not even its timestamps, needs to make sense.
    if (o.status === 'fail') continue;
    validate(o);
    operations++;
    const ops = byKey.get(o.op.key);
    if (ops) ops.push(o);
    else byKey.set(o.op.key, [o]);
  }

  // Sorted so that which key gets reported does not depend on the order clients happened to log.
  const keys = [...byKey.keys()].sort();
  let inconclusive: CheckResult | null = null;
  for (const key of keys) {
    const outcome = checkKey(key, byKey.get(key) ?? [], maxSteps);
    // A definite violation on a later key is worth more than an exhausted budget on an earlier one.
    if (outcome.ok === false) return outcome;
    if (outcome.ok === 'inconclusive') inconclusive ??= outcome;
  }
  return inconclusive ?? { ok: true, keys: keys.length, operations };
}

function validate(o: Operation): void {
  if (!Number.isFinite(o.call)) {
    throw new RangeError(`operation ${o.id}: call time ${o.call} is not finite`);
  }
  if (o.status !== 'ok') return;
  if (!o.result || o.result.kind !== o.op.kind) {
    throw new TypeError(
      `operation ${o.id}: status 'ok' needs a '${o.op.kind}' result, got ${JSON.stringify(o.result)}`,
    );
  }
  if (!(o.ret >= o.call)) {
    throw new RangeError(`operation ${o.id}: returned at ${o.ret} before its call at ${o.call}`);
  }
}

type KeyOutcome = { ok: true } | Extract<CheckResult, { ok: false } | { ok: 'inconclusive' }>;

function checkKey(key: string, ops: readonly Operation[], maxSteps: number): KeyOutcome {
  // Only values some op compares against can be told apart; every other written value is merged
  // into one. That loses nothing, and it makes states and unknown writes that differ only in such
  // values identical for the memoization and for the interchangeable-unknown-ops rule in `search`.
  const observed = new Set<string>();
  for (const o of ops) {
    if (o.op.kind === 'cas' && o.op.expected !== null) observed.add(o.op.expected);
    if (o.status === 'ok' && o.result?.kind === 'get' && o.result.value !== null) {
      observed.add(o.result.value);
    }
  }
  const interned = new Map<string, number>();
  const intern = (v: string | null): number => {
    if (v === null) return ABSENT;
    if (!observed.has(v)) return UNOBSERVED;
    let id = interned.get(v);
    if (id === undefined) {
      id = interned.size + UNOBSERVED + 1;
      interned.set(v, id);
    }
    return id;
  };

  const searched: SearchOp[] = [];
  for (const o of ops) {
    const unknown = o.status === 'unknown';
    const call = o.call;
    // An unobserved outcome may take effect at any later point, which is what an infinite return
    // time allows; "never" is the same as "last", since nothing after it observes the register.
    const ret = unknown ? Infinity : o.ret;
    const r = o.result;
    switch (o.op.kind) {
      case 'put': {
        const value = intern(o.op.value);
        searched.push({ source: o, kind: WRITE, value, expected: ABSENT, call, ret });
        break;
      }
      case 'get':
        // An unobserved read constrains nothing and changes nothing.
        if (unknown || r?.kind !== 'get') break;
        searched.push({
          source: o,
          kind: READ,
          value: intern(r.value),
          expected: ABSENT,
          call,
          ret,
        });
        break;
      case 'cas': {
        const kind = unknown || r?.kind !== 'cas' ? CAS_MAYBE : r.ok ? CAS_OK : CAS_FAILED;
        const value = intern(o.op.value);
        searched.push({ source: o, kind, value, expected: intern(o.op.expected), call, ret });
        break;
      }
    }
  }

  const outcome = search(searched, maxSteps);
  if (outcome.kind === 'ok') return { ok: true };
  if (outcome.kind === 'budget') {
    return {
      ok: 'inconclusive',
      key,
      reason:
        `search for key ${JSON.stringify(key)} gave up after ${maxSteps} steps ` +
        `(${searched.length} of its ${ops.length} operations constrain the search)`,
    };
  }
  return {
    ok: false,
    key,
    explanation: explain(key, ops, searched, outcome.longestPrefix),
  };
}

type SearchOutcome =
  { kind: 'ok' } | { kind: 'budget' } | { kind: 'violation'; longestPrefix: readonly number[] };

/**
 * Depth-first search over the time-ordered call/return events, as in Porcupine. Event `2i` is the
 * call of op `i` and `2i + 1` its return, so an op's matching return needs no lookup. Linearizing an
 * op lifts its events out of the doubly linked list; reaching a return means its op was not
 * linearized before its response, so the last choice must be undone.
 *
 * Unknown ops break plain memoization: each one pending doubles the (linearized set, state) pairs,
 * and a partitioned cluster leaves dozens per key. Since an unknown op may always be placed last
 * instead, the search only places one where that matters, which any linearization can be rewritten
 * to satisfy by moving unknown ops later or to the end:
 *  - never when it leaves the register unchanged;
 *  - only right before an op that depends on its change (see `needsLastChange`): anything else
 *    could go first, or overwrites it unobserved;
 *  - of several with the same effect, the earliest-called first;
 *  - and a pair is dominated by an already refuted pair with the same definite ops and state and a
 *    subset of its unknown ops (with no stricter constraint on what may come next), so it is pruned.
 * Unknown ops are tried only once no definite op fits, so smaller subsets are refuted first, and the
 * search succeeds as soon as only unknown ops remain. Their calls stay out of the event list:
 * pending for the rest of the history, they would make every scan for a definite op linear in
 * their number.
 */
function search(ops: readonly SearchOp[], maxSteps: number): SearchOutcome {
  const n = ops.length;
  const unknown = new Uint8Array(n);
  let remaining = 0;
  ops.forEach((o, i) => {
    if (o.source.status === 'unknown') unknown[i] = 1;
    else remaining++;
  });
  if (remaining === 0) return { kind: 'ok' };

  const time = (e: number): number => {
    const o = ops[e >> 1] as SearchOp;
    return e & 1 ? o.ret : o.call;
  };
  // Intervals are closed: an op returning at the instant another is called is concurrent with it,
  // so at equal times calls sort first. Ties beyond that keep history order, for reproducibility.
  const byTime = (a: number, b: number): number => time(a) - time(b) || (a & 1) - (b & 1) || a - b;
  const definiteEvents: number[] = [];
  const unknownCalls: number[] = [];
  for (let i = 0; i < n; i++) {
    if (unknown[i]) unknownCalls.push(2 * i);
    else definiteEvents.push(2 * i, 2 * i + 1);
  }
  const events = new EventList(2 * n, definiteEvents.sort(byTime));

  // Unknown ops with the same effect are interchangeable, so a linearization can always place them
  // in call order: only the earliest-called unplaced one of each set of twins is a candidate, and
  // which of them were placed comes down to how many.
  const twinSets = new Map<string, number[]>();
  for (const e of unknownCalls.sort(byTime)) {
    const o = ops[e >> 1] as SearchOp;
    const signature = `${o.kind} ${o.expected} ${o.value}`;
    const twins = twinSets.get(signature);
    if (twins) twins.push(e >> 1);
    else twinSets.set(signature, [e >> 1]);
  }
  const twins = [...twinSets.values()];
  const twinSet = new Int32Array(n);
  twins.forEach((members, t) => members.forEach((i) => (twinSet[i] = t)));
  const twinsPlaced = new Int32Array(twins.length);
  // An unknown cas changes the register only from its expected value, so in a given state only the
  // puts and the cas ops expecting that state are worth trying.
  const writes: number[] = [];
  const casesByExpected = new Map<number, number[]>();
  twins.forEach((members, t) => {
    const o = ops[members[0] as number] as SearchOp;
    const cases = casesByExpected.get(o.expected);
    if (o.kind === WRITE) writes.push(t);
    else if (cases) cases.push(t);
    else casesByExpected.set(o.expected, [t]);
  });
  const twinsByState = new Map<number, number[]>();
  const twinsFor = (s: number): number[] => {
    let sets = twinsByState.get(s);
    if (!sets) {
      sets = [...writes, ...(casesByExpected.get(s) ?? [])];
      twinsByState.set(s, sets);
    }
    return sets;
  };

  // Definite ops own the leading words of the bitset and unknown ops the trailing ones, so the
  // cache can compare the two parts separately.
  const definiteWords = (remaining + 31) >>> 5;
  const unknownWords = (n - remaining + 31) >>> 5;
  const bit = new Int32Array(n);
  let definiteBits = 0;
  let unknownBits = definiteWords * 32;
  for (let i = 0; i < n; i++) bit[i] = unknown[i] ? unknownBits++ : definiteBits++;
  const linearized = new Uint32Array(definiteWords + unknownWords);
  const cache = new VisitedStates(definiteWords, unknownWords);
  // Zobrist-style hash of the definite part, updated in O(1) per toggled op; pairs differing only
  // in unknown ops share a chain, which is where the dominance check looks.
  let h1 = 0;
  let h2 = 0;
  const toggle = (i: number): void => {
    const b = bit[i] as number;
    linearized[b >>> 5] = (linearized[b >>> 5] as number) ^ (1 << (b & 31));
    if (!unknown[i]) {
      h1 ^= mix32(2 * b + 1);
      h2 ^= mix32(2 * b + 2);
    }
  };

  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  const stackSlot = new Int32Array(n);
  const stackDeferred = new Int32Array(n);
  const stackDeadline = new Float64Array(n);
  const stackNextTwins = new Int32Array(n);
  let depth = 0;
  let state = ABSENT;
  let longestPrefix: number[] = [];
  let steps = 0;
  // When the op placed last was unknown, the state it changed, which the next op must depend on.
  let deferred = NOTHING_DEFERRED;
  // The scan first walks definite calls up to the first return (`entry`), then the twin sets worth
  // trying in this state (`tryTwins`, from `nextTwins`) for unknown ops called by `deadline`, that
  // first return's time.
  let placingUnknown = false;
  let deadline = 0;
  let tryTwins = writes;
  let nextTwins = 0;
  let entry = events.first;

  while (remaining > 0) {
    // Cache probes count too: long collision-free chains are work the step count would not see.
    if (++steps + cache.probes > maxSteps) return { kind: 'budget' };
    let candidate: number;
    if (!placingUnknown) {
      if ((entry & 1) === 1) {
        placingUnknown = true;
        deadline = time(entry);
        tryTwins = twinsFor(state);
        nextTwins = 0;
        continue;
      }
      candidate = entry >> 1;
      entry = events.next[entry] as number;
    } else if (nextTwins < tryTwins.length) {
      const t = tryTwins[nextTwins++] as number;
      const first = (twins[t] as number[])[twinsPlaced[t] as number];
      if (first === undefined || (ops[first] as SearchOp).call > deadline) continue;
      candidate = first;
    } else {
      if (depth === 0) return { kind: 'violation', longestPrefix };
      // Snapshot only when about to abandon a new deepest point, rather than on every push.
      if (depth > longestPrefix.length) longestPrefix = Array.from(stackOp.subarray(0, depth));
      depth--;
      cache.refute(stackSlot[depth] as number);
      const i = stackOp[depth] as number;
      state = stackState[depth] as number;
      deferred = stackDeferred[depth] as number;
      toggle(i);
      placingUnknown = unknown[i] === 1;
      if (placingUnknown) {
        const t = twinSet[i] as number;
        twinsPlaced[t] = (twinsPlaced[t] as number) - 1;
        deadline = stackDeadline[depth] as number;
        tryTwins = twinsFor(state);
        nextTwins = stackNextTwins[depth] as number;
      } else {
        remaining++;
        events.relink(2 * i + 1);
        events.relink(2 * i);
        entry = events.next[2 * i] as number;
      }
      continue;
    }

    const op = ops[candidate] as SearchOp;
    const after = step(state, op);
    if (after === INCONSISTENT) continue;
    if (deferred !== NOTHING_DEFERRED && !needsLastChange(op, deferred)) continue;
    if (placingUnknown && after === state) continue;
    toggle(candidate);
    const slot = cache.visit(linearized, h1, h2, after, placingUnknown ? state : NOTHING_DEFERRED);
    if (slot === ALREADY_REFUTED) {
      toggle(candidate);
      continue;
    }
    stackOp[depth] = candidate;
    stackState[depth] = state;
    stackSlot[depth] = slot;
    stackDeferred[depth] = deferred;
    stackDeadline[depth] = deadline;
    stackNextTwins[depth] = nextTwins;
    depth++;
    deferred = placingUnknown ? state : NOTHING_DEFERRED;
    state = after;
    if (placingUnknown) {
      const t = twinSet[candidate] as number;
      twinsPlaced[t] = (twinsPlaced[t] as number) + 1;
    } else {
      remaining--;
      events.unlink(2 * candidate);
      events.unlink(2 * candidate + 1);
    }
    placingUnknown = false;
    entry = events.first;
  }
  return { kind: 'ok' };
}

/** Marks that the op placed last was definite, so the next op is unconstrained. */
const NOTHING_DEFERRED = -1;

/**
 * Whether `op`, about to follow an unknown op that moved the register away from `before`, could not
 * have gone first instead. Only called for ops consistent with the current state, and the unknown
 * op did change the state, so a read or successful cas here must observe it. A put never does, and a
 * failed cas only when the old value is the one it had to miss.
 */
function needsLastChange(op: SearchOp, before: number): boolean {
  switch (op.kind) {
    case WRITE:
      return false;
    case CAS_FAILED:
      return op.expected === before;
    case READ:
    case CAS_OK:
    case CAS_MAYBE:
      return true;
  }
}

/** A doubly linked list of event ids in time order, with sentinels after the ids. */
class EventList {
  readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly head: number;

  constructor(ids: number, ordered: readonly number[]) {
    this.head = ids;
    const end = ids + 1;
    this.next = new Int32Array(ids + 2);
    this.prev = new Int32Array(ids + 2);
    let last = this.head;
    for (const e of ordered) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
    this.next[last] = end;
    this.prev[end] = last;
  }

  get first(): number {
    return this.next[this.head] as number;
  }

  unlink(e: number): void {
    const p = this.prev[e] as number;
    const q = this.next[e] as number;
    this.next[p] = q;
    this.prev[q] = p;
  }

  /** Only valid in reverse order of unlinking, which the search's stack guarantees. */
  relink(e: number): void {
    this.next[this.prev[e] as number] = e;
    this.prev[this.next[e] as number] = e;
  }
}

/** Cheap, and spreads consecutive op indexes over all 32 bits. */
const mix32 = fmix32;

const ALREADY_REFUTED = -1;

/**
 * (linearized set, register state) pairs already explored. Bitsets live in one growable arena so a
 * search over thousands of states allocates a handful of arrays, not one per state; the hash only
 * selects a chain, and equality is decided on the full bitsets, so collisions cost time, never
 * correctness.
 */
class VisitedStates {
  private readonly chains = new Map<number, number>();
  private readonly words: number;
  private bits: Uint32Array;
  private keys: Float64Array;
  private states: Int32Array;
  private nextInChain: Int32Array;
  private refuted: Uint8Array;
  /** For pairs reached by an unknown op, the state before it, which constrains the next op. */
  private deferred: Int32Array;
  private size = 0;
  /** Stored pairs compared so far, a cost the search budgets along with its own steps. */
  probes = 0;

  constructor(
    private readonly definiteWords: number,
    unknownWords: number,
  ) {
    this.words = definiteWords + unknownWords;
    const capacity = 64;
    this.bits = new Uint32Array(capacity * this.words);
    this.keys = new Float64Array(capacity);
    this.states = new Int32Array(capacity);
    this.nextInChain = new Int32Array(capacity);
    this.refuted = new Uint8Array(capacity);
    this.deferred = new Int32Array(capacity);
  }

  /** Records the pair and returns its slot, or ALREADY_REFUTED if it needs no exploring. */
  visit(set: Uint32Array, h1: number, h2: number, state: number, deferred: number): number {
    // 53 bits, so the key stays an exact integer and the Map hashes it as a number.
    const lo = (h1 ^ mix32(state)) >>> 0;
    const hi = (h2 ^ mix32(state ^ 0x9e3779b9)) & 0x1fffff;
    const key = hi * 0x1_0000_0000 + lo;
    const first = this.chains.get(key) ?? -1;
    for (let s = first; s !== -1; s = this.nextInChain[s] as number) {
      this.probes++;
      if (this.states[s] !== state || !weaker(this.deferred[s] as number, deferred)) continue;
      const base = s * this.words;
      if (!this.sameDefinite(this.bits, base, set, 0)) continue;
      // An exact match cannot be on the current path, where linearized sets grow strictly, so it is
      // refuted; a pair with fewer unknown ops may be an ancestor still in progress, proving nothing.
      if (this.refuted[s] === 1 && this.fewerUnknown(this.bits, base, set, 0)) {
        return ALREADY_REFUTED;
      }
    }
    if (this.size === this.states.length) this.grow();
    const s = this.size++;
    this.bits.set(set, s * this.words);
    this.keys[s] = key;
    this.states[s] = state;
    this.deferred[s] = deferred;
    this.nextInChain[s] = first;
    this.chains.set(key, s);
    return s;
  }

  /**
   * Marks the pair's subtree as explored without success, and drops the pairs it dominates from its
   * chain: it prunes everything they would, and chains of incomparable pairs stay short.
   */
  refute(slot: number): void {
    this.refuted[slot] = 1;
    const key = this.keys[slot] as number;
    const base = slot * this.words;
    let before = -1;
    for (let s = this.chains.get(key) ?? -1; s !== -1;) {
      this.probes++;
      const after = this.nextInChain[s] as number;
      const dominated =
        s !== slot &&
        this.states[s] === this.states[slot] &&
        weaker(this.deferred[slot] as number, this.deferred[s] as number) &&
        this.sameDefinite(this.bits, s * this.words, this.bits, base) &&
        this.fewerUnknown(this.bits, base, this.bits, s * this.words);
      if (!dominated) before = s;
      else if (before === -1) this.chains.set(key, after);
      else this.nextInChain[before] = after;
      s = after;
    }
  }

  private sameDefinite(a: Uint32Array, aBase: number, b: Uint32Array, bBase: number): boolean {
    for (let w = 0; w < this.definiteWords; w++) {
      if (a[aBase + w] !== b[bBase + w]) return false;
    }
    return true;
  }

  /** Whether every unknown op linearized in `a` is linearized in `b` too. */
  private fewerUnknown(a: Uint32Array, aBase: number, b: Uint32Array, bBase: number): boolean {
    for (let w = this.definiteWords; w < this.words; w++) {
      if (((a[aBase + w] as number) & ~(b[bBase + w] as number)) !== 0) return false;
    }
    return true;
  }

  private grow(): void {
    const capacity = this.states.length * 2;
    const bits = new Uint32Array(capacity * this.words);
    bits.set(this.bits);
    this.bits = bits;
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    this.keys = keys;
    const states = new Int32Array(capacity);
    states.set(this.states);
    this.states = states;
    const chain = new Int32Array(capacity);
    chain.set(this.nextInChain);
    this.nextInChain = chain;
    const refuted = new Uint8Array(capacity);
    refuted.set(this.refuted);
    this.refuted = refuted;
    const deferred = new Int32Array(capacity);
    deferred.set(this.deferred);
    this.deferred = deferred;
  }
}

/** Whether a pair constrained by `stored` allows every next op one constrained by `current` does. */
function weaker(stored: number, current: number): boolean {
  return stored === NOTHING_DEFERRED || stored === current;
}

function explain(
  key: string,
  ops: readonly Operation[],
  searched: readonly SearchOp[],
  longestPrefix: readonly number[],
): string {
  const sorted = [...ops].sort((a, b) => a.call - b.call || a.id - b.id);
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable; its ${ops.length} operations by call time:`,
  ];
  for (const o of sorted) lines.push(`  ${describeOp(o)}`);

  const prefix = longestPrefix.map((i) => (searched[i] as SearchOp).source);
  // Replayed on the real values rather than the interned ones, which merge unobserved writes.
  let register: string | null = null;
  for (const { op } of prefix) {
    if (op.kind === 'put' || (op.kind === 'cas' && op.expected === register)) register = op.value;
  }
  const order = prefix.map((o) => `#${o.id}`).join(', ');
  lines.push(
    `longest linearizable prefix found (${prefix.length} of ${searched.length} searched): ` +
      (order === '' ? '(none)' : order) +
      `; register afterwards: ${show(register)}`,
  );
  // Unknown ops left out need no mention: they may never have taken effect.
  const placed = new Set(prefix);
  const rest = searched
    .filter((o) => o.source.status === 'ok' && !placed.has(o.source))
    .map((o) => `#${o.source.id}`);
  if (rest.length > 0) lines.push(`completed operations left unplaced: ${rest.join(', ')}`);
  return lines.join('\n');
}

function describeOp(o: Operation): string {
  const op =
    o.op.kind === 'put'
      ? `put(${show(o.op.value)})`
      : o.op.kind === 'get'
        ? 'get()'
        : `cas(${show(o.op.expected)} -> ${show(o.op.value)})`;
  const ret = o.status === 'unknown' ? '?' : String(o.ret);
  return `#${o.id} client ${o.client} ${op} call ${o.call} ret ${ret} => ${showResult(o)}`;
}

function showResult(o: Operation): string {
  if (o.status === 'unknown') return 'unknown';
  const r = o.result;
  switch (r?.kind) {
    case 'put':
      return 'ok';
    case 'get':
      return show(r.value);
    case 'cas':
      return r.ok ? 'ok' : 'mismatch';
    case undefined:
      return 'no result';
  }
}

function show(v: string | null): string {
  return v === null ? 'absent' : JSON.stringify(v);
}
