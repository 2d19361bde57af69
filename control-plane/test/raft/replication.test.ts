/**
 * Log replication (paper §5.3), committing entries from earlier terms (§5.4.2), follower crashes
 * (§5.5), and the performance machinery the thesis describes in §10.2 (the leader writing its own
 * log in parallel, batching and pipelining).
 */
import { MemoryStorage } from '../../src/raft/memory-storage';
import { DEFAULT_RAFT_CONFIG, RaftNode } from '../../src/raft/raft';
import type { Entry, Message, NodeId } from '../../src/raft/types';
import { Harness, dec, enc, proposeOk } from './harness';

// ---------------------------------------------------------------- local helpers

/** A node's whole in-memory log as `index/term/data` strings (no-ops show as `index/term/`). */
function logOf(h: Harness, id: NodeId): string[] {
  const n = h.node(id);
  return n.log.slice(n.log.firstIndex(), Infinity).map(show);
}

/** What the node's host has on "disk". */
function storedLogOf(h: Harness, id: NodeId): string[] {
  return h.storage.get(id)!.entries.map(show);
}

function show(e: Entry): string {
  return `${e.index}/${e.term}/${e.type === 'normal' ? dec(e.data) : '<conf>'}`;
}

const entryCount = (m: Message): number => m.entries?.length ?? 0;
const dataOf = (m: Message): string[] => (m.entries ?? []).map((e) => dec(e.data));

/** Appends from `from` to `to` that carry at least one entry, among `msgs`. */
function appsWithEntries(msgs: readonly Message[], from: NodeId, to: NodeId): Message[] {
  return msgs.filter(
    (m) => m.type === 'app' && m.from === from && m.to === to && entryCount(m) > 0,
  );
}

const range = (n: number, prefix: string): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

// ---------------------------------------------------------------- §5.3

describe('§5.3 log replication', () => {
  it('§5.3: replicates every proposal to all followers, and every node applies them in the same order', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const indexes = range(5, 'v').map((v) => h.propose('a', v));
    // Entry 1 is the bootstrap membership, entry 2 the leader's no-op (§5.4.2).
    expect(indexes).toEqual([3, 4, 5, 6, 7]);
    for (const id of ['a', 'b', 'c']) {
      expect(h.appliedData(id)).toEqual(range(5, 'v'));
      // Every committed entry applied exactly once, in index order, with no gap.
      expect(h.applied.get(id)!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(h.node(id).hardState().commit).toBe(7);
    }
    // Log Matching: the same index and term on every node, in memory and on disk.
    expect(logOf(h, 'b')).toEqual(logOf(h, 'a'));
    expect(logOf(h, 'c')).toEqual(logOf(h, 'a'));
    expect(storedLogOf(h, 'b')).toEqual(logOf(h, 'a'));
    expect(storedLogOf(h, 'c')).toEqual(logOf(h, 'a'));
  });

  it('§5.3: a follower that missed appends receives them later and applies them in order', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    for (const v of range(4, 'x')) h.propose('a', v);
    expect(h.appliedData('b')).toEqual(range(4, 'x'));
    expect(h.appliedData('c')).toEqual([]);
    h.heal();
    h.tick('a'); // a heartbeat tells the leader that c is behind
    expect(h.appliedData('c')).toEqual(range(4, 'x'));
    expect(logOf(h, 'c')).toEqual(logOf(h, 'a'));
  });

  it("§5.3, Figure 7: overwrites a follower's conflicting uncommitted suffix with the leader's entries", () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a'); // term 2
    h.propose('a', 'committed'); // index 3, on every node
    // The old leader, cut off, keeps accepting proposals it can never commit.
    h.isolate('a');
    for (const v of range(5, 'stale')) proposeOk(h, 'a', v);
    h.stabilize();
    expect(h.node('a').log.lastIndex()).toBe(8);
    expect(h.node('a').hardState().commit).toBe(3);

    h.elect('b'); // term 3, with c's vote
    expect(h.leaders()).toContain('b');
    h.propose('b', 'new1');
    h.propose('b', 'new2');

    h.heal();
    h.tick('b'); // b's heartbeat reaches a
    expect(h.node('a').role).toBe('follower');
    expect(h.node('a').term).toBe(3);
    expect(h.node('a').leader).toBe('b');
    // The conflicting suffix is gone from memory and from disk; a now holds b's log exactly.
    expect(logOf(h, 'a')).toEqual(logOf(h, 'b'));
    expect(storedLogOf(h, 'a')).toEqual(logOf(h, 'b'));
    expect(logOf(h, 'a').some((s) => s.includes('stale'))).toBe(false);
    for (const id of ['a', 'b', 'c']) {
      expect(h.appliedData(id)).toEqual(['committed', 'new1', 'new2']);
    }
  });

  it('§5.3 fast backtracking: backtracks over a whole divergent term per rejection, not one entry at a time', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a'); // term 2: [1 conf, 2 no-op]
    h.isolate('a');
    const DIVERGENT = 30;
    for (const v of range(DIVERGENT, 'stale')) proposeOk(h, 'a', v); // 3..32, term 2
    h.stabilize();

    h.elect('b'); // term 3
    for (const v of range(30, 'new')) proposeOk(h, 'b', v); // 4..33, term 3
    h.stabilize();
    // A third leader, so that its first probe to a starts from the end of a long term-3 log.
    h.elect('c'); // term 4
    expect(h.leaders()).toEqual(expect.arrayContaining(['c']));
    expect(h.node('c').progressOf('a')?.next).toBe(34);

    const mark = h.sent.length;
    h.heal();
    h.tick('c');
    const after = h.sent.slice(mark);
    const rejections = after.filter((m) => m.type === 'app-resp' && m.from === 'a' && m.reject);
    // It did have to backtrack (a's entry 33 does not exist, 3..32 are of the wrong term) ...
    expect(rejections.length).toBeGreaterThanOrEqual(1);
    // ... but one rejection skips the whole of term 2: entry-by-entry would need ~DIVERGENT.
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(rejections.length).toBeLessThan(DIVERGENT / 10);
    expect(logOf(h, 'a')).toEqual(logOf(h, 'c'));
    expect(h.appliedData('a')).toEqual(range(30, 'new'));
  });

  it("§5.3 fast backtracking, Figure 7 (f): the follower skips its own higher-term entries in one rejection (its hint, not the leader's)", () => {
    // Five nodes, so that a leader can win without the follower whose log diverges with a HIGHER
    // term than the leader's entries at the same indexes (paper Figure 7 (f)'s shape).
    const h = new Harness(['a', 'b', 'c', 'd', 'e'], { preVote: false, checkQuorum: false });
    h.elect('a'); // term 2: [1 conf, 2 no-op] everywhere
    // a replicates 3..22 (term 2) to b only: never committed.
    h.setFilter((m) => !(m.from === 'a' && ['c', 'd', 'e'].includes(m.to)));
    for (const v of range(20, 'old')) proposeOk(h, 'a', v);
    h.stabilize();
    // c wins term 3 with d and e, but its appends reach no one: it holds 3..23 of term 3 alone.
    h.setFilter((m) => !(m.from === 'c' && m.type === 'app'));
    h.elect('c');
    expect(h.node('c').role).toBe('leader');
    for (const v of range(20, 'stale')) proposeOk(h, 'c', v);
    h.stabilize();
    expect(h.node('c').log.term(23)).toBe(3);
    // a wins term 4 without c's vote: its term-2 log is at least as up to date as b's, d's, e's.
    h.setFilter(null);
    h.isolate('c');
    h.elect('a'); // term 4 (c's campaign already moved a to term 3)
    expect(h.node('a').role).toBe('leader');
    expect(h.node('a').term).toBe(4);
    expect(h.node('a').log.term(22)).toBe(2);
    expect(h.node('a').progressOf('c')?.next).toBe(23);

    const mark = h.sent.length;
    h.heal();
    h.tick('a');
    const rejections = h.sent
      .slice(mark)
      .filter((m) => m.type === 'app-resp' && m.from === 'c' && m.reject);
    // c's entries 3..22 are of term 3, above the probe's term 2: c itself skips them all at once.
    expect(rejections.length).toBeGreaterThanOrEqual(1);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(logOf(h, 'c')).toEqual(logOf(h, 'a'));
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      expect(h.appliedData(id)).toEqual(range(20, 'old'));
    }
  });

  it("§5.3 fast backtracking: backtracks to a lagging follower's last index in a single rejection", () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a');
    h.isolate('c');
    const BEHIND = 40;
    for (const v of range(BEHIND, 'x')) proposeOk(h, 'a', v);
    h.stabilize();
    h.elect('b'); // its probe to c starts right after index 2 + 40
    expect(h.node('b').role).toBe('leader');

    const mark = h.sent.length;
    h.heal();
    h.tick('b');
    const rejections = h.sent
      .slice(mark)
      .filter((m) => m.type === 'app-resp' && m.from === 'c' && m.reject);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]!.rejectHint).toBe(2); // c's last index
    expect(logOf(h, 'c')).toEqual(logOf(h, 'b'));
    expect(h.appliedData('c')).toEqual(range(BEHIND, 'x'));
  });
});

// ---------------------------------------------------------------- §5.4.2

describe('§5.4.2 committing entries from previous terms', () => {
  it('§5.4.2, thesis §6.4: a new leader appends a no-op of its own term, and it is committed and applied everywhere', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const a = h.node('a');
    expect(a.term).toBe(2);
    const last = a.log.lastIndex();
    expect(last).toBe(2);
    const [noop] = a.log.slice(last, last + 1);
    expect(noop).toMatchObject({ index: 2, term: 2, type: 'normal' });
    expect(noop!.data.length).toBe(0);
    for (const id of ['a', 'b', 'c']) {
      expect(h.node(id).hardState().commit).toBe(2);
      expect(h.applied.get(id)!.map((e) => `${e.index}/${e.term}`)).toEqual(['1/1', '2/2']);
    }
  });

  it("§5.4.2, Figure 8: an earlier term's entry held by a majority commits only once an entry of the leader's term does", () => {
    // maxEntriesPerMsg 1 lets the new leader learn that c holds the old entry before c holds its no-op.
    const h = new Harness(['a', 'b', 'c'], { checkQuorum: false, maxEntriesPerMsg: 1 });
    h.elect('a'); // term 2
    // a replicates x to b only, and never hears b's acknowledgement: x stays uncommitted.
    h.setFilter(
      (m) => !(m.from === 'a' && m.to === 'c') && !(m.from === 'b' && m.type === 'app-resp'),
    );
    const x = proposeOk(h, 'a', 'x');
    h.stabilize();
    h.setFilter(null);
    expect(x).toBe(3);
    expect(h.node('b').log.term(3)).toBe(2);
    expect(h.node('c').log.lastIndex()).toBe(2);
    for (const id of ['a', 'b', 'c']) expect(h.node(id).hardState().commit).toBe(2);

    h.crash('a');
    const b = h.node('b');
    b.campaign();

    let sawOldEntryOnMajority = false;
    const check = (): void => {
      if (b.role !== 'leader' || b.progressOf('c')?.match !== 3) return;
      // b and c both hold x (term 2), a majority: still not committed, b's no-op is not there yet.
      sawOldEntryOnMajority = true;
      expect(b.hardState().commit).toBeLessThan(3);
      expect(h.appliedData('b')).toEqual([]);
    };
    for (let round = 0; round < 100; round++) {
      const msgs = h.intercept();
      check();
      if (msgs.length === 0) break;
      for (const m of msgs) {
        h.deliver(m);
        check();
      }
    }
    expect(b.role).toBe('leader');
    expect(b.term).toBe(3);
    expect(sawOldEntryOnMajority).toBe(true);
    // Once the term-3 no-op at 4 is on b and c, it commits, and x with it.
    expect(b.log.term(4)).toBe(3);
    expect(b.hardState().commit).toBe(4);
    expect(h.appliedData('b')).toEqual(['x']);
    expect(h.appliedData('c')).toEqual(['x']);
  });
});

// ---------------------------------------------------------------- follower commit index

describe('§5.3 a follower learns the commit index (heartbeat commit = min(match, commit))', () => {
  it("§5.3: a heartbeat advances a follower's commit index up to what it holds", () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    // Drop the empty appends that would announce the new commit index.
    h.setFilter((m) => !(m.type === 'app' && entryCount(m) === 0));
    h.propose('a', 'x');
    expect(h.appliedData('a')).toEqual(['x']);
    expect(h.node('b').log.lastIndex()).toBe(3);
    expect(h.appliedData('b')).toEqual([]); // it holds x but has not heard that x is committed
    h.setFilter(null);
    const mark = h.sent.length;
    h.tick('a');
    const beats = h.sent.slice(mark).filter((m) => m.type === 'heartbeat');
    expect(beats.map((m) => [m.to, m.commit])).toEqual(
      expect.arrayContaining([
        ['b', 3],
        ['c', 3],
      ]),
    );
    expect(h.appliedData('b')).toEqual(['x']);
    expect(h.appliedData('c')).toEqual(['x']);
  });

  it('§5.3, §5.4.2: a heartbeat never makes a follower commit entries it holds but the leader has not matched', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.elect('a');
    h.isolate('a');
    for (const v of range(20, 'stale')) proposeOk(h, 'a', v); // 3..22, term 2, never committed
    h.stabilize();
    h.elect('b'); // term 3
    for (const v of range(10, 'new')) h.propose('b', v); // b commits up to 13
    expect(h.node('b').hardState().commit).toBe(13);

    // a hears b's heartbeats, but none of its appends.
    h.heal();
    h.setFilter((m) => !(m.to === 'a' && m.type === 'app'));
    const mark = h.sent.length;
    h.tick('b', 3);
    expect(h.node('a').term).toBe(3);
    expect(h.node('a').leader).toBe('b');
    const beats = h.sent.slice(mark).filter((m) => m.type === 'heartbeat' && m.to === 'a');
    expect(beats.length).toBeGreaterThan(0);
    // b knows of no entry of a's that matches, so it tells a to commit nothing new; had it sent
    // its own commit index (13), a would commit and apply its stale entries 3..13.
    for (const m of beats) expect(m.commit).toBeLessThanOrEqual(2);
    expect(h.node('a').hardState().commit).toBe(2);
    expect(h.appliedData('a')).toEqual([]);

    h.setFilter(null);
    h.tick('b');
    expect(logOf(h, 'a')).toEqual(logOf(h, 'b'));
    expect(h.appliedData('a')).toEqual(range(10, 'new'));
  });
});

// ---------------------------------------------------------------- thesis §10.2.2

describe('thesis §10.2.2 batching and pipelining', () => {
  it('thesis §10.2.2: one append per follower carries all the proposals made between two batches', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const mark = h.sent.length;
    for (const v of range(4, 'p')) proposeOk(h, 'a', v);
    h.stabilize();
    const after = h.sent.slice(mark);
    for (const to of ['b', 'c']) {
      const apps = appsWithEntries(after, 'a', to);
      expect(apps).toHaveLength(1);
      expect(dataOf(apps[0]!)).toEqual(range(4, 'p'));
    }
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(range(4, 'p'));
  });

  it('thesis §10.2.2: maxEntriesPerMsg splits a backlog into several appends, applied in order', () => {
    const h = new Harness(['a', 'b', 'c'], { maxEntriesPerMsg: 3 });
    h.elect('a');
    const mark = h.sent.length;
    for (const v of range(10, 'p')) proposeOk(h, 'a', v);
    h.stabilize();
    const after = h.sent.slice(mark);
    for (const to of ['b', 'c']) {
      const apps = appsWithEntries(after, 'a', to);
      for (const m of apps) expect(entryCount(m)).toBeLessThanOrEqual(3);
      expect(apps).toHaveLength(4); // ⌈10 / 3⌉
      expect(apps.flatMap(dataOf)).toEqual(range(10, 'p'));
    }
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(range(10, 'p'));
  });

  it('thesis §10.2.2: maxEntriesPerMsg also bounds the appends that catch up a follower that was away', () => {
    const h = new Harness(['a', 'b', 'c'], { maxEntriesPerMsg: 2 });
    h.elect('a');
    h.isolate('c');
    for (const v of range(9, 'x')) h.propose('a', v);
    h.heal();
    const mark = h.sent.length;
    h.tick('a');
    const apps = appsWithEntries(h.sent.slice(mark), 'a', 'c');
    for (const m of apps) expect(entryCount(m)).toBeLessThanOrEqual(2);
    expect(apps.length).toBeGreaterThanOrEqual(5); // ⌈9 / 2⌉
    expect(h.appliedData('c')).toEqual(range(9, 'x'));
  });

  it('maxBytesPerMsg bounds the bytes of the appends that catch up a follower; a larger entry goes alone', () => {
    const h = new Harness(['a', 'b', 'c'], { maxBytesPerMsg: 10 });
    h.elect('a');
    h.isolate('c');
    const values = ['aaaa', 'bbbb', 'cccc', 'a-very-long-entry-of-many-bytes', 'dd', 'ee'];
    for (const v of values) h.propose('a', v);
    h.heal();
    const mark = h.sent.length;
    h.tick('a');
    h.stabilize();
    const apps = appsWithEntries(h.sent.slice(mark), 'a', 'c');
    for (const m of apps) {
      const bytes = (m.entries ?? []).reduce((n, e) => n + e.data.length, 0);
      expect(bytes <= 10 || entryCount(m) === 1).toBe(true);
    }
    expect(apps.length).toBeGreaterThanOrEqual(4);
    expect(h.appliedData('c')).toEqual(values);
  });

  it.each([1, 2, 3])(
    'thesis §10.2.2: in replicate state the leader pipelines up to maxInflightMsgs=%i appends, then waits for acknowledgements',
    (limit) => {
      const h = new Harness(['a', 'b', 'c'], { maxInflightMsgs: limit });
      h.elect('a');
      expect(h.node('a').progressOf('b')?.state).toBe('replicate');
      const held: Message[] = [];
      // Each proposal, taken off the wire before anyone answers, is one more append in flight.
      for (let i = 1; i <= limit; i++) {
        proposeOk(h, 'a', `p${i}`);
        const out = h.intercept();
        expect(appsWithEntries(out, 'a', 'b').map(dataOf)).toEqual([[`p${i}`]]);
        expect(appsWithEntries(out, 'a', 'c').map(dataOf)).toEqual([[`p${i}`]]);
        expect(out.some((m) => m.type === 'app-resp')).toBe(false);
        held.push(...out);
      }
      // The pipeline is full: further proposals are appended but not sent.
      proposeOk(h, 'a', `p${limit + 1}`);
      proposeOk(h, 'a', `p${limit + 2}`);
      const whileFull = h.intercept();
      expect(appsWithEntries(whileFull, 'a', 'b')).toHaveLength(0);
      expect(appsWithEntries(whileFull, 'a', 'c')).toHaveLength(0);
      held.push(...whileFull);

      // b acknowledges its first append: a slot frees and the waiting entries go out at once.
      const first = held.find((m) => m.type === 'app' && m.to === 'b')!;
      h.deliver(first);
      const ack = h.intercept();
      expect(ack.filter((m) => m.type === 'app-resp' && m.from === 'b' && !m.reject)).toHaveLength(
        1,
      );
      for (const m of ack) h.deliver(m);
      const resumed = h.intercept();
      const toB = appsWithEntries(resumed, 'a', 'b');
      expect(toB).toHaveLength(1);
      expect(dataOf(toB[0]!)).toEqual([`p${limit + 1}`, `p${limit + 2}`]);
      // c has acknowledged nothing: its pipeline stays full.
      expect(appsWithEntries(resumed, 'a', 'c')).toHaveLength(0);

      for (const m of [...held.filter((m) => m !== first), ...resumed]) h.deliver(m);
      h.stabilize();
      for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(range(limit + 2, 'p'));
    },
  );

  it('thesis §10.2.2: a full pipeline whose appends were lost is unblocked by heartbeats and catches up', () => {
    const h = new Harness(['a', 'b', 'c'], { maxInflightMsgs: 2 });
    h.elect('a');
    h.setFilter((m) => !(m.type === 'app' && m.to === 'b'));
    for (const v of range(5, 'p')) h.propose('a', v);
    expect(h.appliedData('a')).toEqual(range(5, 'p')); // committed with c
    expect(h.appliedData('b')).toEqual([]);
    h.setFilter(null);
    h.tick('a', 3);
    expect(h.appliedData('b')).toEqual(range(5, 'p'));
    expect(logOf(h, 'b')).toEqual(logOf(h, 'a'));
  });
});

describe('§5.1 / Figure 2 a follower acknowledges only what it has persisted', () => {
  it("§5.1, thesis §3.8: a follower's acknowledgement travels in messagesAfterPersist, with the entries in the same Ready", () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeOk(h, 'a', 'x');
    const out = h.intercept();
    const toB = appsWithEntries(out, 'a', 'b');
    expect(toB).toHaveLength(1);
    h.deliver(toB[0]!);
    // Drive b's Ready by hand.
    const b = h.node('b');
    const rd = b.ready();
    expect(rd.entries.map((e) => dec(e.data))).toEqual(['x']);
    expect(rd.messages.filter((m) => m.type === 'app-resp')).toEqual([]);
    const acks = rd.messagesAfterPersist.filter((m) => m.type === 'app-resp');
    expect(acks.map((m) => [m.to, m.index, m.reject ?? false])).toEqual([['a', 3, false]]);
    h.storage.get('b')!.persist(rd);
    b.advance();
    for (const m of [...acks, ...out.filter((m) => m !== toB[0])]) h.deliver(m);
    h.stabilize();
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['x']);
  });
});

// ---------------------------------------------------------------- §5.5

describe('§5.5 follower crashes', () => {
  it('§5.5, thesis §3.8: a follower that crashes and restarts from its storage keeps what it acknowledged and catches up', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.propose('a', 'x1');
    h.crash('c');
    h.propose('a', 'x2'); // committed by a and b while c is down
    h.propose('a', 'x3');
    expect(h.appliedData('b')).toEqual(['x1', 'x2', 'x3']);

    const c = h.restart('c');
    // It comes back with exactly what it persisted (paper Figure 2: log, currentTerm, votedFor).
    expect(c.term).toBe(2);
    expect(c.log.lastIndex()).toBe(3);
    expect(c.role).toBe('follower');

    h.tickAll(3);
    expect(h.leaders()).toEqual(['a']);
    expect(h.node('a').term).toBe(2);
    expect(logOf(h, 'c')).toEqual(logOf(h, 'a'));
    expect(h.appliedData('c')).toEqual(['x1', 'x2', 'x3']);

    h.propose('a', 'x4');
    expect(h.appliedData('c')).toEqual(['x1', 'x2', 'x3', 'x4']);
  });
});

// ---------------------------------------------------------------- thesis §10.2.1

describe('thesis §10.2.1 the leader counts itself only for entries on its own disk', () => {
  function lone(): { node: RaftNode; storage: MemoryStorage } {
    const boot = RaftNode.bootstrap(['solo']);
    const node = new RaftNode({ ...DEFAULT_RAFT_CONFIG, id: 'solo', random: () => 0 }, boot);
    return { node, storage: new MemoryStorage(boot) };
  }

  it('thesis §10.2.1: a single-node cluster commits a proposal only after the Ready was persisted and advance() called', () => {
    const { node, storage } = lone();
    node.campaign();
    expect(node.role).toBe('leader');
    expect(node.term).toBe(2);

    // The no-op: handed to the host, not yet durable, not yet committed.
    let rd = node.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[2, 2]]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(node.hardState().commit).toBe(1);
    storage.persist(rd);
    node.advance();
    expect(node.hardState().commit).toBe(2);
    rd = node.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd.hardState?.commit).toBe(2);
    storage.persist(rd);
    node.advance();

    const p = node.propose(enc('x'));
    expect(p).toMatchObject({ ok: true, index: 3 });
    expect(node.hardState().commit).toBe(2); // appended, but not on disk
    rd = node.ready();
    expect(rd.entries.map((e) => dec(e.data))).toEqual(['x']);
    expect(rd.committedEntries).toEqual([]);
    // The host is still writing: nothing may commit yet, however long it takes.
    expect(node.hasReady()).toBe(false);
    expect(node.hardState().commit).toBe(2);
    storage.persist(rd);
    node.advance();
    expect(node.hardState().commit).toBe(3);
    expect(node.hasReady()).toBe(true);
    rd = node.ready();
    expect(rd.committedEntries.map((e) => dec(e.data))).toEqual(['x']);
    expect(storage.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    node.advance();
  });

  it('thesis §10.2.1: an entry proposed after ready() is not counted as durable at the advance() of that Ready', () => {
    const { node, storage } = lone();
    node.campaign();
    let rd = node.ready();
    storage.persist(rd);
    node.advance();
    rd = node.ready();
    storage.persist(rd);
    node.advance();
    expect(node.hardState().commit).toBe(2);

    node.propose(enc('x')); // 3
    rd = node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([3]);
    node.propose(enc('y')); // 4: arrives while the host persists the Ready holding x
    storage.persist(rd);
    node.advance();
    expect(node.hardState().commit).toBe(3);

    rd = node.ready();
    expect(rd.committedEntries.map((e) => dec(e.data))).toEqual(['x']);
    expect(rd.entries.map((e) => dec(e.data))).toEqual(['y']);
    storage.persist(rd);
    node.advance();
    expect(node.hardState().commit).toBe(4);
    rd = node.ready();
    expect(rd.committedEntries.map((e) => dec(e.data))).toEqual(['y']);
    node.advance();
  });

  it('thesis §10.2.1: a single-node leader whose host never finishes persisting commits nothing new', () => {
    const { node } = lone();
    node.campaign();
    node.ready(); // handed out, never advanced
    for (let i = 0; i < 30; i++) node.tick();
    expect(node.propose(enc('x')).ok).toBe(true);
    expect(node.hardState().commit).toBe(1);
    expect(node.hasReady()).toBe(false);
  });
});
