import { RaftNode } from '../../src/raft/raft';
import { SafetyChecker, Violation } from '../../sim/invariants';
import { runSimulation } from '../../sim/simulation';
import { Harness } from '../raft/harness';

describe('deterministic simulator', () => {
  it('replays a seed exactly: same trace, same figures', () => {
    const a = runSimulation({ seed: 4242, trace: true });
    const b = runSimulation({ seed: 4242, trace: true });
    expect(a.trace.length).toBeGreaterThan(50);
    expect(b.trace).toEqual(a.trace);
    expect(b.stats).toEqual(a.stats);
  });

  it('runs faulty schedules to completion without violations', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = runSimulation({ seed });
      expect(r.violation).toBeUndefined();
      expect(r.stats.committed).toBeGreaterThan(10);
    }
  });

  it('exercises crashes, membership changes and snapshots across seeds', () => {
    const totals = { crashes: 0, confChanges: 0, snapshotsSent: 0 };
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const { stats } = runSimulation({ seed });
      totals.crashes += stats.crashes;
      totals.confChanges += stats.confChanges;
      totals.snapshotsSent += stats.snapshotsSent;
      sizes.add(stats.voters);
    }
    expect(totals.crashes).toBeGreaterThan(0);
    expect(totals.confChanges).toBeGreaterThan(0);
    expect(totals.snapshotsSent).toBeGreaterThan(0);
    expect([...sizes].sort()).toEqual([3, 5, 7]);
  });
});

describe('safety checker', () => {
  it('reports two leaders in one term (election safety)', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    h.isolate('c');
    h.elect('a');
    const checker = new SafetyChecker();
    checker.observe('a', 1, h.node('a'));
    // A node that believes it leads the same term from a forged state.
    const forged = new RaftNode(h.config('c'), {
      hardState: { term: h.node('a').term - 1, vote: 'c', commit: 1 },
      snapshot: null,
      entries: RaftNode.bootstrap(['a', 'b', 'c']).entries,
    });
    forged.campaign();
    forged.step({
      type: 'vote-resp',
      from: 'b',
      to: 'c',
      term: forged.term,
      index: 0,
      logTerm: 0,
      commit: 0,
    });
    expect(forged.role).toBe('leader');
    expect(() => checker.observe('c', 1, forged)).toThrow(Violation);
  });

  it('reports a committed entry that changed', () => {
    const one = new Harness(['a', 'b', 'c']);
    one.elect('a');
    one.propose('a', 'x');
    const other = new Harness(['a', 'b', 'c']);
    other.elect('a');
    other.propose('a', 'y');
    const checker = new SafetyChecker();
    checker.observe('a', 1, one.node('a'));
    expect(() => checker.observe('b', 1, other.node('b'))).toThrow(/committed entry 3 changed/);
  });

  it('reports a durable vote changed within a term', () => {
    const checker = new SafetyChecker();
    checker.onPersist('a', { term: 3, vote: 'b', commit: 0 });
    expect(() => checker.onPersist('a', { term: 3, vote: 'c', commit: 0 })).toThrow(/voted twice/);
    expect(() => checker.onPersist('a', { term: 2, vote: null, commit: 0 })).toThrow(
      /term went back/,
    );
  });
});
