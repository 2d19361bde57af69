/**
 * Named regressions for classic Raft bugs, each a scripted scenario: message delivery is driven by
 * hand (`intercept`/`deliver`, filters, cut links), and servers crash and restart from storage.
 * Every scenario checks State Machine Safety with a ledger of everything ever seen committed.
 */
import type { Message, NodeId } from '../../src/raft/types';
import { Harness, dec, enc, proposeOk, tickUntilLeader } from './harness';

// ---------------------------------------------------------------- local helpers

/**
 * Everything any server's storage ever showed as committed (index -> term). Recording fails if a
 * committed index ever changes term; `expectHeldBy` checks that a server still holds all of it.
 */
class Ledger {
  readonly committed = new Map<number, number>();

  record(h: Harness): void {
    for (const [id, st] of h.storage) {
      const commit = st.hardState.commit;
      const seen: [number, number][] = st.entries
        .filter((e) => e.index <= commit)
        .map((e) => [e.index, e.term]);
      if (st.snapshot) seen.push([st.snapshot.meta.index, st.snapshot.meta.term]);
      for (const [index, term] of seen) {
        const known = this.committed.get(index);
        if (known !== undefined && known !== term) {
          throw new Error(`${id}: committed index ${index} changed term ${known} -> ${term}`);
        }
        this.committed.set(index, term);
      }
    }
  }

  /** Leader Completeness / State Machine Safety: `id`'s log still has every committed entry. */
  expectHeldBy(h: Harness, id: NodeId): void {
    const log = h.node(id).log;
    for (const [index, term] of this.committed) {
      if (index < log.firstIndex() - 1) continue; // compacted into its snapshot
      expect({ id, index, term: log.term(index) }).toEqual({ id, index, term });
    }
  }
}

/** Delivers by hand until quiet; `route` returns the message to deliver (maybe rewritten) or null. */
function pump(h: Harness, route: (m: Message) => Message | null, maxRounds = 500): void {
  for (let i = 0; i < maxRounds; i++) {
    const q = h.intercept();
    if (q.length === 0) return;
    for (const m of q) {
      const r = route(m);
      if (r !== null) h.deliver(r);
    }
  }
  throw new Error('did not quiesce');
}

const votesFrom = (h: Harness, from: NodeId, to: NodeId, since = 0): Message[] =>
  h.sent.slice(since).filter((m) => m.type === 'vote-resp' && m.from === from && m.to === to);

const everApplied = (h: Harness, data: string): boolean =>
  [...h.applied.values()].some((ents) => ents.some((e) => dec(e.data) === data));

// ---------------------------------------------------------------- Figure 8

describe('paper §5.4.2, Figure 8: committing entries from previous terms', () => {
  const ids = ['s1', 's2', 's3', 's4', 's5'];

  /**
   * Figure 8 (a)-(c). Index numbers are one higher than in the paper: entry 1 is the bootstrap
   * membership and entry 2 S1's term-2 no-op (committed everywhere). Returns the index of S1's
   * term-2 entry `x` and the ledger.
   */
  function upToC(): { h: Harness; x: number; ledger: Ledger } {
    const h = new Harness(ids, { preVote: false, checkQuorum: false });
    const ledger = new Ledger();
    h.elect('s1');
    expect(h.node('s1').term).toBe(2);
    expect(h.node('s5').log.committed).toBe(2);
    // (a) S1 leads term 2 and replicates x only to S2.
    for (const id of ['s3', 's4', 's5']) h.cutLink('s1', id);
    const x = h.propose('s1', 'x');
    expect(x).toBe(3);
    expect(h.node('s2').log.term(x)).toBe(2);
    expect(h.node('s3').log.lastIndex()).toBe(2);
    ledger.record(h);
    h.crash('s1');
    h.heal();

    // (b) S5 wins term 3 with S3, S4 (and itself), appends at index 3, and crashes.
    h.setFilter((m) => !(m.from === 's5' && m.type === 'app'));
    h.elect('s5');
    expect(h.leaders()).toEqual(['s5']);
    expect(h.node('s5').term).toBe(3);
    expect(h.node('s5').log.term(x)).toBe(3);
    ledger.record(h);
    h.crash('s5');
    h.setFilter(null);

    // (c) S1 restarts and wins term 4 (its term-3 attempt loses S3 and S4, who voted for S5).
    // It replicates its term-2 entry to S3, but its term-4 entry reaches no one.
    h.restart('s1');
    const route = (m: Message): Message | null => {
      if (m.from === 's1' && m.to === 's4') return null;
      if (m.from === 's1' && m.type === 'app') {
        return { ...m, entries: (m.entries ?? []).filter((e) => e.term !== 4) };
      }
      return m;
    };
    h.node('s1').campaign();
    pump(h, route);
    expect(h.node('s1').role).toBe('candidate');
    expect(h.node('s1').term).toBe(3);
    h.node('s1').campaign();
    pump(h, route);
    const s1 = h.node('s1');
    expect(s1.role).toBe('leader');
    expect(s1.term).toBe(4);
    expect(s1.log.term(x + 1)).toBe(4);
    // x (term 2) is now on a majority: S1, S2, S3...
    for (const id of ['s1', 's2', 's3']) expect(h.node(id).log.term(x)).toBe(2);
    expect(s1.progressOf('s3')?.match).toBe(x);
    expect(s1.progressOf('s2')?.match).toBe(x);
    // ...and yet it must not be committed: it is not of the leader's term.
    expect(s1.log.committed).toBe(2);
    for (const id of ['s2', 's3', 's4']) expect(h.node(id).log.committed).toBe(2);
    ledger.record(h);
    return { h, x, ledger };
  }

  it('paper Figure 8 (d): an earlier-term entry on a majority is not committed, and a later leader may overwrite it', () => {
    const { h, x, ledger } = upToC();
    // (d) S1 crashes; S5 restarts and wins (term 5, after losing term 4 to the voters of S1).
    h.crash('s1');
    h.restart('s5');
    h.node('s5').campaign();
    h.stabilize();
    if (h.node('s5').role !== 'leader') h.elect('s5');
    const s5 = h.node('s5');
    expect(s5.role).toBe('leader');
    expect(s5.term).toBe(5);
    h.stabilize();
    // S5's term-3 entry replaced x on S2 and S3, and is committed under S5's term-5 no-op.
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(h.node(id).log.term(x)).toBe(3);
      expect(h.node(id).log.committed).toBe(x + 1);
    }
    ledger.record(h);
    // x was never committed anywhere, so losing it broke nothing.
    expect(everApplied(h, 'x')).toBe(false);
    expect(ledger.committed.get(x)).toBe(3);

    // S1 comes back and is brought in line; every committed entry survives everywhere.
    h.restart('s1');
    h.tick('s5');
    expect(h.node('s1').log.term(x)).toBe(3);
    ledger.record(h);
    for (const id of ids) ledger.expectHeldBy(h, id);
    h.propose('s5', 'y');
    for (const id of ids) expect(h.appliedData(id)).toEqual(['y']);
  });

  it('paper Figure 8 (e): once S1 replicates an entry of its own term to a majority, both are committed and S5 cannot win', () => {
    const { h, x, ledger } = upToC();
    const s1 = h.node('s1');
    // A heartbeat round lets S1 repair what it believed it had sent.
    h.tick('s1');
    expect(s1.log.committed).toBe(x + 1);
    expect(h.appliedData('s1')).toEqual(['x']);
    ledger.record(h);
    expect(ledger.committed.get(x)).toBe(2);

    h.crash('s1');
    h.restart('s5');
    const mark = h.sent.length;
    h.node('s5').campaign();
    h.stabilize();
    h.node('s5').campaign();
    h.stabilize();
    expect(h.node('s5').role).not.toBe('leader');
    for (const id of ['s2', 's3']) {
      expect(votesFrom(h, id, 's5', mark).every((m) => m.reject === true)).toBe(true);
    }

    // A server holding the committed entries leads; nothing committed is lost.
    h.elect('s2');
    expect(h.leaders()).toEqual(['s2']);
    h.propose('s2', 'y');
    ledger.record(h);
    for (const id of ['s2', 's3', 's4', 's5']) {
      ledger.expectHeldBy(h, id);
      expect(h.appliedData(id)).toEqual(['x', 'y']);
    }
  });
});

// ---------------------------------------------------------------- single-server change bug

describe('raft-dev 2015: the single-server membership change bug', () => {
  it('raft-dev 2015 (Ongaro): a new leader changes membership only after committing its own entry, so a stale change cannot win', () => {
    const h = new Harness(['a', 'b', 'c', 'd'], { preVote: false, checkQuorum: false });
    const ledger = new Ledger();
    h.elect('a');
    h.propose('a', 'v1');
    h.addEmpty('e');
    ledger.record(h);

    // C0 = {a,b,c,d}. a proposes C1 = C0 + e; only a ever has it.
    h.isolate('a');
    const r1 = h.node('a').proposeConfChange({ type: 'add-voter', node: 'e' });
    if (!r1.ok) throw new Error(r1.reason);
    h.stabilize();
    expect(h.node('a').conf.voters).toEqual(['a', 'b', 'c', 'd', 'e']);
    h.crash('a');
    h.heal();

    // b leads a new term; its no-op has not reached anyone yet.
    h.setFilter((m) => !(m.from === 'b' && m.type === 'app'));
    h.elect('b');
    const b = h.node('b');
    expect(b.role).toBe('leader');
    const noop = b.log.lastIndex();
    expect(noop).toBe(r1.index);
    const early = b.proposeConfChange({ type: 'remove', node: 'd' });
    expect(early.ok ? 'accepted' : early.reason).toBe('no-commit-in-term');
    expect(b.log.lastIndex()).toBe(noop);
    expect(b.conf.voters).toEqual(['a', 'b', 'c', 'd']);

    // The no-op commits on a majority of C0 (b, c, d).
    h.setFilter(null);
    h.tick('b');
    expect(b.log.committed).toBe(noop);
    for (const id of ['c', 'd']) expect(h.node(id).log.term(noop)).toBe(b.term);
    ledger.record(h);

    // Now C2 = {a,b,c}: committed by b and c; d never hears of it.
    h.cutLink('b', 'd');
    const r2 = b.proposeConfChange({ type: 'remove', node: 'd' });
    if (!r2.ok) throw new Error(r2.reason);
    h.stabilize();
    expect(b.log.committed).toBe(r2.index);
    const v2 = h.propose('b', 'v2');
    expect(b.log.committed).toBe(v2);
    ledger.record(h);

    // a restarts with C1 in its log: it asks a, b, c, d, e. e (empty) grants; d holds b's no-op
    // (a later term than a's last entry) and refuses, as do b and c. a cannot reach 3 of 5.
    h.heal();
    const a = h.restart('a');
    expect(a.conf.voters).toEqual(['a', 'b', 'c', 'd', 'e']);
    const mark = h.sent.length;
    a.campaign();
    h.stabilize();
    expect(a.role).not.toBe('leader');
    expect(votesFrom(h, 'e', 'a', mark).some((m) => m.reject !== true)).toBe(true);
    expect(votesFrom(h, 'd', 'a', mark).every((m) => m.reject === true)).toBe(true);
    expect(votesFrom(h, 'd', 'a', mark).length).toBeGreaterThan(0);
    ledger.record(h);

    // C2's members elect a leader; a's stale C1 entry is overwritten and its membership reverts.
    const leader = tickUntilLeader(h, ['a', 'b', 'c']);
    expect(['b', 'c']).toContain(leader);
    h.propose(leader, 'v3');
    h.tick(leader);
    ledger.record(h);
    for (const id of ['a', 'b', 'c']) {
      ledger.expectHeldBy(h, id);
      expect(h.node(id).conf).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
      expect(h.appliedData(id)).toEqual(['v1', 'v2', 'v3']);
    }
    expect(h.node('a').log.term(r1.index)).not.toBe(r1.term);
  });
});

// ---------------------------------------------------------------- partial partition

describe('thesis §9.6, §6.2 partial partition liveness', () => {
  /** a leads; the a<->c link is cut both ways; b hears both. Proposals every 10 ticks. */
  function run(opts: { preVote: boolean; checkQuorum: boolean }, propose = true) {
    const h = new Harness(['a', 'b', 'c'], opts);
    h.elect('a');
    const term = h.node('a').term;
    h.cutLink('a', 'c');
    h.cutLink('c', 'a');
    const leaders = new Set<string>();
    let proposed = 0;
    let refused = 0;
    for (let t = 0; t < 500; t++) {
      h.tickAll();
      for (const l of h.leaders()) leaders.add(`${l}@${h.node(l).term}`);
      if (propose && t % 10 === 0) {
        const l = h.leaders()[0];
        if (l === undefined || !h.node(l).propose(enc(`p${t}`)).ok) refused++;
        else proposed++;
        h.stabilize();
      }
    }
    return { h, term, leaders, proposed, refused };
  }

  it('thesis §9.6, §6.2: with PreVote and CheckQuorum, C cannot depose a healthy leader, which keeps committing', () => {
    const { h, term, leaders, proposed, refused } = run({ preVote: true, checkQuorum: true });
    expect(leaders).toEqual(new Set([`a@${term}`]));
    expect(h.node('a').role).toBe('leader');
    expect(h.node('a').term).toBe(term);
    expect(h.node('b').term).toBe(term);
    // C does try (it hears no leader), but without raising its term.
    expect(h.sent.some((m) => m.from === 'c' && m.type === 'pre-vote')).toBe(true);
    expect(h.node('c').term).toBe(term);
    expect(refused).toBe(0);
    expect(proposed).toBe(50);
    expect(h.appliedData('b')).toHaveLength(50);
    expect(h.appliedData('a')).toEqual(h.appliedData('b'));
  });

  it("thesis §9.6, §6.2: idle, C's log is as up to date as B's, and still cannot depose the leader", () => {
    const { h, term, leaders } = run({ preVote: true, checkQuorum: true }, false);
    expect(leaders).toEqual(new Set([`a@${term}`]));
    for (const id of ['a', 'b', 'c']) expect(h.node(id).term).toBe(term);
    expect(h.node('c').log.lastIndex()).toBe(h.node('b').log.lastIndex());
    h.propose('a', 'still-leading');
    expect(h.appliedData('b')).toEqual(['still-leading']);
  });

  it('thesis §9.6, §6.2: control: without PreVote and CheckQuorum the same partition deposes the healthy leader', () => {
    const { h, term, leaders } = run({ preVote: false, checkQuorum: false });
    // C's elections raise B's term; a's appends in the old term are ignored; leadership moves.
    expect(Math.min(...[...h.nodes.values()].map((n) => n.term))).toBeGreaterThan(term);
    expect(leaders.size).toBeGreaterThan(1);
    expect([...leaders].some((l) => l !== `a@${term}`)).toBe(true);
    expect(h.leaders()).not.toEqual(['a']);
  });
});

// ---------------------------------------------------------------- stale reads

describe('thesis §6.4 stale read from a deposed leader', () => {
  function setup() {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x=1');
    h.isolate('a');
    const leader = tickUntilLeader(h, ['b', 'c']);
    const w = h.propose(leader, 'x=2');
    const a = h.node('a');
    expect(a.role).toBe('leader');
    const r = a.readIndex('r1');
    // a still believes it leads, and would serve the read at an index before x=2.
    expect(r.ok).toBe(true);
    expect(r.ok && r.index).toBeLessThan(w);
    return { h, a, leader };
  }

  it('thesis §6.4: an isolated deposed leader never yields a ReadState, and steps down', () => {
    const { h, a } = setup();
    for (let i = 0; i < 30; i++) {
      h.tick('a');
      expect(h.readStates.get('a') ?? []).toEqual([]);
    }
    expect(a.role).toBe('follower');
    expect(h.readStates.get('a') ?? []).toEqual([]);
  });

  it('thesis §6.4: once the partition heals, the deposed leader learns the new term and still yields no ReadState', () => {
    const { h, a, leader } = setup();
    h.heal();
    h.tick('a');
    expect(a.role).toBe('follower');
    h.tick('a', 5);
    h.tick(leader, 2);
    expect(h.readStates.get('a') ?? []).toEqual([]);
    expect(a.leader).toBe(leader);
    expect(h.appliedData('a')).toEqual(['x=1', 'x=2']);
  });
});

// ---------------------------------------------------------------- stale appends

describe('paper §5.3, Figure 2: a stale AppendEntries never truncates', () => {
  it('§5.3: a delayed append covering a prefix of committed entries leaves the log and commit intact', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    proposeOk(h, 'a', 'x2');
    const q = h.intercept();
    const delayed = q.find(
      (m) =>
        m.type === 'app' && m.to === 'b' && (m.entries ?? []).some((e) => dec(e.data) === 'x2'),
    );
    if (delayed === undefined) throw new Error('no append carrying x2');
    for (const m of q) h.deliver(m);
    h.stabilize();
    for (const v of ['x3', 'x4', 'x5']) h.propose('a', v);
    h.tick('a');
    const b = h.node('b');
    const last = b.log.lastIndex();
    const terms = Array.from({ length: last }, (_, i) => b.log.term(i + 1));
    expect(b.log.committed).toBe(last);
    const stored = h.storage.get('b')!.entries.length;

    h.deliver(delayed);
    h.stabilize();
    expect(b.log.lastIndex()).toBe(last);
    expect(b.log.committed).toBe(last);
    expect(Array.from({ length: last }, (_, i) => b.log.term(i + 1))).toEqual(terms);
    expect(h.storage.get('b')!.entries).toHaveLength(stored);
    expect(h.node('a').progressOf('b')?.match).toBe(last);
    expect(h.appliedData('b')).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    h.propose('a', 'x6');
    expect(h.appliedData('b')).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6']);
  });

  it('§5.3: a delayed duplicate append does not cut off the uncommitted entries a later append wrote', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    const a = h.node('a');
    const i2 = proposeOk(h, 'a', 'x2');
    const q1 = h.intercept();
    const i3 = proposeOk(h, 'a', 'x3');
    const q2 = h.intercept();
    const toB = (q: Message[]) => q.filter((m) => m.to === 'b' && m.type === 'app');
    const [a2] = toB(q1);
    const [a3] = toB(q2);
    expect(a2?.entries?.map((e) => e.index)).toEqual([i2]);
    expect(a3?.entries?.map((e) => e.index)).toEqual([i3]);
    // b gets both appends, nothing else has happened: it holds x3, commit before x2.
    h.deliver(a2!);
    h.deliver(a3!);
    const b = h.node('b');
    expect(b.log.lastIndex()).toBe(i3);
    expect(b.log.committed).toBeLessThan(i2);
    expect(a2!.index).toBeGreaterThanOrEqual(b.log.committed);

    // The first append arrives again, late: b must keep x3.
    h.deliver(a2!);
    expect(b.log.lastIndex()).toBe(i3);
    expect(b.log.term(i3)).toBe(a.term);
    h.process('b');
    expect(h.storage.get('b')!.entries.map((e) => e.index)).toContain(i3);

    for (const m of [...q1, ...q2]) if (m.to !== 'b') h.deliver(m);
    h.stabilize();
    h.tick('a');
    expect(a.log.committed).toBe(i3);
    expect(h.appliedData('b')).toEqual(['x1', 'x2', 'x3']);
  });
});

// ---------------------------------------------------------------- snapshot catch-up

describe('paper §7 follower behind the compaction point', () => {
  it('paper §7: a follower that was down while the log was compacted catches up by snapshot, then serves as a voter', () => {
    const h = new Harness(['a', 'b', 'c'], { maxEntriesPerMsg: 2 });
    const ledger = new Ledger();
    h.elect('a');
    h.propose('a', 'v0');
    h.crash('c');
    const values = Array.from({ length: 12 }, (_, i) => `v${i + 1}`);
    for (const v of values) h.propose('a', v);
    for (const id of ['a', 'b']) {
      const n = h.node(id);
      const at = n.log.applied - 3;
      n.compact(at, enc(`state@${at}`));
      h.storage.get(id)!.compact(n.log.snapshot!);
    }
    ledger.record(h);
    const snapIndex = h.node('a').log.snapshot!.meta.index;

    const c = h.restart('c');
    expect(c.log.lastIndex()).toBeLessThan(snapIndex);
    const mark = h.sent.length;
    h.tickAll(3);
    expect(h.sent.slice(mark).filter((m) => m.type === 'snap' && m.to === 'c')).toHaveLength(1);
    expect(c.log.snapshot?.meta.index).toBe(snapIndex);
    expect(c.log.lastIndex()).toBe(h.node('a').log.lastIndex());
    expect(c.log.committed).toBe(h.node('a').log.committed);
    expect(h.appliedData('c')).toEqual(values.slice(-3));
    ledger.record(h);

    // What c installed is on its disk: a restart brings back the snapshot and the entries after it.
    const commit = c.log.committed;
    h.crash('c');
    const c2 = h.restart('c');
    expect(c2.log.snapshot?.meta.index).toBe(snapIndex);
    expect(c2.log.committed).toBe(commit);
    expect(c2.log.lastIndex()).toBe(h.node('a').log.lastIndex());
    expect(c2.conf).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
    h.stabilize();
    expect(h.appliedData('c')).toEqual(values.slice(-3));

    // c now counts: with a gone, b and c elect a leader and commit.
    h.crash('a');
    const leader = tickUntilLeader(h, ['b', 'c']);
    h.propose(leader, 'after');
    ledger.record(h);
    for (const id of ['b', 'c']) {
      ledger.expectHeldBy(h, id);
      expect(h.appliedData(id).slice(-1)).toEqual(['after']);
    }
  });
});

// ---------------------------------------------------------------- learner promotion

describe('thesis §4.2.1 a learner promoted without knowing it yet', () => {
  it('thesis §4.2.1: a promoted node that still thinks it is a learner grants its vote, so the cluster can elect', () => {
    const h = new Harness(['a', 'b', 'c']);
    const ledger = new Ledger();
    h.elect('a');
    h.addEmpty('d');
    const r0 = h.node('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    if (!r0.ok) throw new Error(r0.reason);
    h.stabilize();
    h.propose('a', 'v1');
    expect(h.appliedData('d')).toEqual(['v1']);

    // c goes down; d is promoted but never receives the entry; a and b have it.
    h.crash('c');
    h.cutLink('a', 'd');
    const r = h.node('a').proposeConfChange({ type: 'add-voter', node: 'd' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    const b = h.node('b');
    expect(b.conf).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    expect(h.node('d').conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(h.node('a').log.committed).toBeLessThan(r.index);
    ledger.record(h);

    // The leader crashes and c comes back. Only b can win (its log is the longest), and in its
    // membership {a,b,c,d} it needs three votes: its own, c's and d's.
    h.crash('a');
    h.restart('c');
    h.heal();
    const mark = h.sent.length;
    const leader = tickUntilLeader(h, ['b', 'c', 'd']);
    expect(leader).toBe('b');
    expect(votesFrom(h, 'd', 'b', mark).some((m) => m.reject !== true)).toBe(true);

    // d learns of its promotion from b; the promotion commits with b, c, d.
    h.propose('b', 'v2');
    expect(b.log.committed).toBeGreaterThan(r.index);
    expect(h.node('d').conf).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    ledger.record(h);
    for (const id of ['b', 'c', 'd']) {
      ledger.expectHeldBy(h, id);
      expect(h.appliedData(id).slice(-1)).toEqual(['v2']);
    }
  });
});
