/**
 * Log compaction and InstallSnapshot (paper §7, thesis §5): the host compacts applied entries into
 * a snapshot that records the last included index, term and membership; a leader sends it to a
 * follower whose next entry it no longer holds; a node restarts from a snapshot plus entries.
 */
import { RaftNode } from '../../src/raft/raft';
import type { Message, NodeId, Ready, Snapshot } from '../../src/raft/types';
import { Harness, dec, enc } from './harness';

// ---------------------------------------------------------------- local helpers

/** The host compacts `id` up to `index` (default: everything applied), in memory and on disk. */
function compact(h: Harness, id: NodeId, index?: number): Snapshot {
  const node = h.node(id);
  const at = index ?? node.log.applied;
  node.compact(at, enc(`state@${at}`));
  const snap = node.log.snapshot;
  if (snap === null) throw new Error('no snapshot after compact');
  h.storage.get(id)!.compact(snap);
  return snap;
}

/** Records every Ready `id` hands to its host from now on (the harness still processes them). */
function spyReadies(h: Harness, id: NodeId): () => Ready[] {
  const spy = jest.spyOn(h.node(id), 'ready');
  return () => spy.mock.results.map((r) => r.value as Ready);
}

const snapsTo = (h: Harness, to: NodeId, since = 0): Message[] =>
  h.sent.slice(since).filter((m) => m.type === 'snap' && m.to === to);

function proposeAll(h: Harness, leader: NodeId, values: string[]): number[] {
  return values.map((v) => h.propose(leader, v));
}

// ---------------------------------------------------------------- compaction

describe('paper §7 / thesis §5.1 compaction', () => {
  it('paper §7: compaction drops entries up to the index and keeps index, term and the membership at that index', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const [, x2] = proposeAll(h, 'a', ['x1', 'x2']);
    h.addEmpty('d');
    const r = h.node('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    const [x3, x4] = proposeAll(h, 'a', ['x3', 'x4']);
    const a = h.node('a');
    const last = a.log.lastIndex();
    expect(a.log.applied).toBe(last);
    const termAt = a.log.term(x2!);

    // Compacting before the conf entry: the snapshot holds the membership as of x2.
    const s1 = compact(h, 'a', x2);
    expect(s1.meta).toEqual({
      index: x2,
      term: termAt,
      conf: { voters: ['a', 'b', 'c'], learners: [] },
    });
    expect(dec(s1.data)).toBe(`state@${x2}`);
    expect(a.log.firstIndex()).toBe(x2! + 1);
    expect(a.log.term(x2! - 1)).toBeUndefined();
    expect(a.log.term(x2!)).toBe(termAt);
    expect(() => a.log.slice(x2!, last + 1)).toThrow();
    expect(a.log.slice(x2! + 1, last + 1).map((e) => e.index)).toEqual([r.index, x3, x4]);
    expect(a.log.lastIndex()).toBe(last);
    // The current membership still includes the learner, whose entry is after the snapshot.
    expect(a.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(h.storage.get('a')!.entries.map((e) => e.index)).toEqual([r.index, x3, x4]);

    // Compacting past the conf entry: the snapshot now carries the learner.
    const s2 = compact(h, 'a', x4);
    expect(s2.meta.index).toBe(x4);
    expect(s2.meta.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(a.log.firstIndex()).toBe(x4! + 1);
    expect(a.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(h.storage.get('a')!.entries).toEqual([]);
    expect(h.storage.get('a')!.snapshot).toBe(s2);

    // The cluster carries on.
    const x5 = h.propose('a', 'x5');
    expect(a.log.committed).toBe(x5);
    expect(h.appliedData('d')).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
  });

  it('paper §7: compaction is refused beyond the applied index and at or below the last snapshot', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeAll(h, 'a', ['x1', 'x2']);
    const a = h.node('a');
    // An entry appended but not yet applied cannot be compacted.
    const r = a.propose(enc('x3'));
    if (!r.ok) throw new Error(r.reason);
    expect(() => a.compact(r.index, enc('s'))).toThrow();
    h.stabilize();
    compact(h, 'a', r.index - 1);
    expect(() => a.compact(r.index - 1, enc('s'))).toThrow();
    expect(() => a.compact(r.index - 2, enc('s'))).toThrow();
    expect(a.log.snapshot?.meta.index).toBe(r.index - 1);
  });
});

// ---------------------------------------------------------------- InstallSnapshot

describe('paper §7 InstallSnapshot', () => {
  it('paper §7: a follower behind the compaction point is sent the snapshot, installs it, then catches up with entries', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    const idx = proposeAll(h, 'a', ['x1', 'x2', 'x3', 'x4', 'x5']);
    const snap = compact(h, 'a', idx[2]);
    compact(h, 'b', idx[2]);
    const c = h.node('c');
    expect(c.log.lastIndex()).toBeLessThan(snap.meta.index);

    const readies = spyReadies(h, 'c');
    const mark = h.sent.length;
    h.heal();
    h.tick('a');

    const snaps = snapsTo(h, 'c', mark);
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.snapshot).toBe(snap);
    // The Ready hands the snapshot to the host, once.
    const withSnap = readies().filter((rd) => rd.snapshot !== null);
    expect(withSnap).toHaveLength(1);
    expect(withSnap[0]!.snapshot!.meta).toEqual(snap.meta);
    // ...and the entries after it are applied (x4, x5), not re-applied from before it.
    expect(h.storage.get('c')!.snapshot?.meta.index).toBe(snap.meta.index);
    expect(c.log.firstIndex()).toBe(snap.meta.index + 1);
    expect(c.log.lastIndex()).toBe(h.node('a').log.lastIndex());
    expect(c.log.committed).toBe(h.node('a').log.committed);
    expect(h.appliedData('c')).toEqual(['x4', 'x5']);
    expect(h.node('a').progressOf('c')).toMatchObject({
      match: h.node('a').log.lastIndex(),
      state: 'replicate',
    });

    // Afterwards it replicates normally.
    const x6 = h.propose('a', 'x6');
    expect(c.log.committed).toBe(x6);
    expect(h.appliedData('c')).toEqual(['x4', 'x5', 'x6']);
    expect(c.log.term(x6)).toBe(h.node('a').term);
  });

  it('thesis §5.1: a node restarted from a snapshot plus entries comes back with its commit and membership', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const [, x2] = proposeAll(h, 'a', ['x1', 'x2']);
    h.addEmpty('d');
    const r = h.node('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    proposeAll(h, 'a', ['x3', 'x4']);

    // b's snapshot is from before the conf entry; the conf entry is among its stored entries.
    compact(h, 'b', x2);
    const before = h.node('b');
    const commit = before.log.committed;
    const last = before.log.lastIndex();
    h.crash('b');
    const b = h.restart('b');
    expect(b.log.snapshot?.meta.index).toBe(x2);
    expect(b.log.firstIndex()).toBe(x2! + 1);
    expect(b.log.lastIndex()).toBe(last);
    expect(b.log.committed).toBe(commit);
    expect(b.hardState()).toEqual(before.hardState());
    expect(b.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    h.stabilize();
    // It re-applies only the committed entries after its snapshot.
    expect(h.appliedData('b')).toEqual(['x3', 'x4']);

    // c's snapshot covers everything, the conf entry included: membership comes from the snapshot.
    const snap = compact(h, 'c');
    expect(snap.meta.index).toBeGreaterThan(r.index);
    h.crash('c');
    const c = h.restart('c');
    expect(c.log.lastIndex()).toBe(snap.meta.index);
    expect(c.log.committed).toBe(snap.meta.index);
    expect(c.log.term(snap.meta.index)).toBe(snap.meta.term);
    expect(c.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });

    // Both carry on with the cluster.
    const x5 = h.propose('a', 'x5');
    expect(b.log.committed).toBe(x5);
    expect(c.log.committed).toBe(x5);
    expect(h.appliedData('c')).toEqual(['x5']);
  });

  it('thesis §5 / §4.2.1: a learner added after compaction learns the membership from the snapshot', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeAll(h, 'a', ['x1', 'x2']);
    h.addEmpty('d');
    // d hears nothing until its conf entry is committed and compacted away.
    h.setFilter((m) => m.to !== 'd');
    const r = h.node('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    if (!r.ok) throw new Error(r.reason);
    h.stabilize();
    h.propose('a', 'x3');
    const snap = compact(h, 'a');
    expect(snap.meta.index).toBeGreaterThan(r.index);
    expect(snap.meta.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });

    h.setFilter(null);
    const mark = h.sent.length;
    h.tick('a');
    const d = h.node('d');
    expect(snapsTo(h, 'd', mark)).toHaveLength(1);
    expect(d.log.snapshot?.meta).toEqual(snap.meta);
    // d never saw the conf entry as an entry: it learned that it is a learner from the snapshot.
    expect(d.log.term(r.index)).toBeUndefined();
    expect(d.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(d.log.committed).toBe(snap.meta.index);

    h.propose('a', 'x4');
    expect(h.appliedData('d')).toEqual(['x4']);
    // Still a learner: it never campaigns.
    const before = h.sent.length;
    h.isolate('d');
    h.tick('d', 50);
    expect(
      h.sent
        .slice(before)
        .filter((m) => m.from === 'd' && /vote/.test(m.type) && !/resp/.test(m.type)),
    ).toEqual([]);
  });

  it('paper §7: a stale snapshot (index <= commit) is ignored and the log is left alone', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeAll(h, 'a', ['x1', 'x2', 'x3']);
    const old = compact(h, 'a');
    proposeAll(h, 'a', ['x4', 'x5']);
    const b = h.node('b');
    const commit = b.log.committed;
    const last = b.log.lastIndex();
    expect(commit).toBeGreaterThan(old.meta.index);
    const applied = h.appliedData('b');

    const readies = spyReadies(h, 'b');
    const mark = h.sent.length;
    const stale: Message = {
      type: 'snap',
      from: 'a',
      to: 'b',
      term: h.node('a').term,
      index: 0,
      logTerm: 0,
      commit: 0,
      snapshot: old,
    };
    h.deliver(stale);
    h.stabilize();

    expect(readies().filter((rd) => rd.snapshot !== null)).toEqual([]);
    expect(b.log.snapshot).toBeNull();
    expect(b.log.firstIndex()).toBe(1);
    expect(b.log.lastIndex()).toBe(last);
    expect(b.log.committed).toBe(commit);
    expect(h.storage.get('b')!.snapshot).toBeNull();
    expect(h.storage.get('b')!.entries).toHaveLength(last);
    expect(h.appliedData('b')).toEqual(applied);
    // It answers with its commit index, so the leader does not move it backwards.
    const resp = h.sent.slice(mark).filter((m) => m.from === 'b' && m.type === 'app-resp');
    expect(resp).toHaveLength(1);
    expect(resp[0]).toMatchObject({ to: 'a', index: commit });
    expect(resp[0]!.reject).toBeFalsy();
    expect(h.node('a').progressOf('b')?.match).toBe(last);
  });

  it('paper §7: a stale snapshot reaching a follower that compacted past it does not roll it back', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeAll(h, 'a', ['x1', 'x2', 'x3']);
    const old = compact(h, 'a');
    proposeAll(h, 'a', ['x4', 'x5']);
    // b compacts further than the leader's old snapshot: it no longer has the entry at its index.
    const own = compact(h, 'b');
    const b = h.node('b');
    expect(b.log.term(old.meta.index)).toBeUndefined();
    const commit = b.log.committed;
    const last = b.log.lastIndex();

    const readies = spyReadies(h, 'b');
    h.deliver({
      type: 'snap',
      from: 'a',
      to: 'b',
      term: h.node('a').term,
      index: 0,
      logTerm: 0,
      commit: 0,
      snapshot: old,
    });
    h.stabilize();
    expect(readies().filter((rd) => rd.snapshot !== null)).toEqual([]);
    expect(b.log.snapshot).toBe(own);
    expect(b.log.committed).toBe(commit);
    expect(b.log.lastIndex()).toBe(last);
    expect(h.storage.get('b')!.snapshot).toBe(own);
    h.propose('a', 'x6');
    expect(h.appliedData('b').slice(-1)).toEqual(['x6']);
  });

  it('paper §7: a snapshot whose last entry the follower already holds only advances its commit', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    proposeAll(h, 'a', ['x1']);
    // b gets x2 and x3 but not the commit for them.
    h.setFilter((m) => !(m.type === 'app-resp' || m.type === 'heartbeat-resp'));
    const a = h.node('a');
    const r2 = a.propose(enc('x2'));
    const r3 = a.propose(enc('x3'));
    if (!r2.ok || !r3.ok) throw new Error('refused');
    h.stabilize();
    h.setFilter(null);
    const b = h.node('b');
    expect(b.log.lastIndex()).toBe(r3.index);
    expect(b.log.committed).toBeLessThan(r2.index);

    const readies = spyReadies(h, 'b');
    const covering: Snapshot = {
      meta: { index: r2.index, term: a.term, conf: a.conf },
      data: enc('state'),
    };
    h.deliver({
      type: 'snap',
      from: 'a',
      to: 'b',
      term: a.term,
      index: 0,
      logTerm: 0,
      commit: 0,
      snapshot: covering,
    });
    // Its entries, including the one after the snapshot, are all kept; the commit moves up.
    expect(b.log.committed).toBe(r2.index);
    expect(b.log.firstIndex()).toBe(1);
    expect(b.log.lastIndex()).toBe(r3.index);
    expect(b.log.snapshot).toBeNull();
    h.process('b');
    expect(h.appliedData('b')).toEqual(['x1', 'x2']);
    h.stabilize();
    expect(readies().filter((rd) => rd.snapshot !== null)).toEqual([]);
    expect(h.storage.get('b')!.snapshot).toBeNull();
    expect(h.appliedData('b')).toEqual(['x1', 'x2', 'x3']);
  });

  it('paper §7: a lost snapshot message is sent again after an election timeout', () => {
    const h = new Harness(['a', 'b', 'c'], { electionTicks: 10 });
    h.elect('a');
    h.isolate('c');
    proposeAll(h, 'a', ['x1', 'x2', 'x3']);
    const snap = compact(h, 'a');
    h.heal();

    let dropped = 0;
    h.setFilter((m) => {
      if (m.type === 'snap' && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    });
    const mark = h.sent.length;
    h.tick('a');
    expect(dropped).toBe(1);
    expect(snapsTo(h, 'c', mark)).toHaveLength(1);
    expect(h.node('c').log.snapshot).toBeNull();
    expect(h.node('a').progressOf('c')?.state).toBe('snapshot');

    // The leader waits (heartbeats do not resend it)...
    h.tick('a', 5);
    expect(snapsTo(h, 'c', mark)).toHaveLength(1);
    // ...until an election timeout has passed without an answer.
    h.tick('a', 10);
    expect(snapsTo(h, 'c', mark)).toHaveLength(2);
    const c = h.node('c');
    expect(c.log.snapshot?.meta).toEqual(snap.meta);
    expect(c.log.committed).toBe(snap.meta.index);
    expect(h.node('a').role).toBe('leader');

    h.propose('a', 'x4');
    expect(h.appliedData('c')).toEqual(['x4']);
  });
});

describe('thesis §5 snapshots retried while the previous one is still being written', () => {
  it('a snapshot restored while the host persists an older one reaches the host in the next Ready', () => {
    const h = new Harness(['a', 'b', 'c']);
    const compactOn = (id: NodeId): Snapshot => {
      const n = h.node(id);
      n.compact(n.log.applied, enc(`state@${n.log.applied}`));
      h.storage.get(id)!.compact(n.log.snapshot!);
      return n.log.snapshot!;
    };
    h.elect('a');
    h.isolate('c');
    for (let i = 0; i < 5; i++) h.propose('a', `x${i}`);
    const s1 = compactOn('a');
    h.heal();
    const held: Message[] = [];
    h.setFilter((m) => {
      if (m.type === 'snap' && m.to === 'c') {
        held.push(m);
        return false;
      }
      return true;
    });
    h.tick('a');
    const c = h.node('c');
    c.step(held[0]!);
    const rd1 = c.ready(); // the host starts writing s1 on a slow disk
    expect(rd1.snapshot).toBe(s1);
    for (let i = 5; i < 8; i++) h.propose('a', `x${i}`);
    const s2 = compactOn('a');
    h.tick('a', 10); // the leader retries after an election timeout, now with s2
    expect(held.map((m) => m.snapshot!.meta.index)).toEqual([s1.meta.index, s2.meta.index]);
    c.step(held[1]!); // restored in memory while s1 is still being written
    h.storage.get('c')!.persist(rd1);
    c.advance();
    h.setFilter(null);
    h.propose('a', 'after');
    h.tickAll(3);
    const disk = h.storage.get('c')!;
    expect(disk.snapshot?.meta.index).toBe(s2.meta.index);
    expect(() => new RaftNode(h.config('c'), disk.load())).not.toThrow();
  });
});
