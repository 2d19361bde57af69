/**
 * Raft's safety properties (paper Figure 3), checked against every node after every simulated
 * event. A broken property throws a `Violation`; the simulator reports the seed and a trace.
 */
import type { RaftNode } from '../src/raft/raft';
import type { Entry, HardState, NodeId } from '../src/raft/types';

export class Violation extends Error {}

function sameEntry(a: Entry, b: Entry): boolean {
  // The simulated network passes entries by reference, so equal entries are usually one object.
  if (a === b) return true;
  if (a.term !== b.term || a.type !== b.type || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

interface NodeWatch {
  incarnation: number;
  term: number;
  commit: number;
  checkedCommit: number;
  wasLeader: boolean;
}

export class SafetyChecker {
  /** Every entry any node has ever seen committed, by index: committed entries never change. */
  private readonly committed = new Map<number, Entry>();
  /**
   * The term in which each entry was first seen committed: the observer's term, which is never
   * below the true one (usually the leader's own). Leader completeness concerns entries committed in
   * earlier terms:
   * a candidate paused mid-election may legitimately win an old term after later commits.
   */
  private readonly committedInTerm = new Map<number, number>();
  private maxCommitted = 0;
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly watch = new Map<NodeId, NodeWatch>();
  private readonly durable = new Map<NodeId, HardState>();

  get committedCount(): number {
    return this.maxCommitted;
  }

  /** Election safety, monotonic term and commit, committed entries never change, leader completeness. */
  observe(id: NodeId, incarnation: number, raft: RaftNode): void {
    let w = this.watch.get(id);
    if (w === undefined || w.incarnation !== incarnation) {
      w = {
        incarnation,
        term: raft.term,
        commit: raft.log.committed,
        checkedCommit: 0,
        wasLeader: false,
      };
      this.watch.set(id, w);
    }
    if (raft.term < w.term) throw new Violation(`${id}: term went back ${w.term} -> ${raft.term}`);
    if (raft.log.committed < w.commit) {
      throw new Violation(`${id}: commit went back ${w.commit} -> ${raft.log.committed}`);
    }
    w.term = raft.term;
    w.commit = raft.log.committed;

    if (raft.role === 'leader') {
      const other = this.leaderOfTerm.get(raft.term);
      if (other !== undefined && other !== id) {
        throw new Violation(`election safety: ${other} and ${id} both lead term ${raft.term}`);
      }
      this.leaderOfTerm.set(raft.term, id);
      if (!w.wasLeader) this.checkLeaderCompleteness(id, raft);
    }
    w.wasLeader = raft.role === 'leader';

    // Record or compare the entries this node has committed since the last look.
    const first = raft.log.firstIndex();
    for (let i = Math.max(w.checkedCommit + 1, first); i <= raft.log.committed; i++) {
      const e = raft.log.entry(i);
      if (e === undefined) throw new Violation(`${id}: committed index ${i} missing from its log`);
      this.recordCommitted(id, e, raft.term);
    }
    const snap = raft.log.snapshot;
    if (snap !== null && snap.meta.index > w.checkedCommit) {
      const known = this.committed.get(snap.meta.index);
      if (known !== undefined && known.term !== snap.meta.term) {
        throw new Violation(
          `${id}: snapshot at ${snap.meta.index} has term ${snap.meta.term}, committed ${known.term}`,
        );
      }
    }
    w.checkedCommit = raft.log.committed;
  }

  private recordCommitted(id: NodeId, e: Entry, term: number): void {
    const known = this.committed.get(e.index);
    if (known === undefined) {
      this.committed.set(e.index, e);
      this.committedInTerm.set(e.index, term);
      this.maxCommitted = Math.max(this.maxCommitted, e.index);
    } else if (!sameEntry(known, e)) {
      throw new Violation(
        `${id}: committed entry ${e.index} changed (term ${known.term} -> ${e.term})`,
      );
    }
  }

  /** Paper §5.4: a new leader's log holds every entry committed before its term. */
  private checkLeaderCompleteness(id: NodeId, raft: RaftNode): void {
    for (let i = raft.log.firstIndex(); i <= this.maxCommitted; i++) {
      const known = this.committed.get(i);
      const inTerm = this.committedInTerm.get(i) ?? Infinity;
      if (known === undefined || inTerm >= raft.term) continue;
      const e = raft.log.entry(i);
      if (e === undefined || !sameEntry(e, known)) {
        throw new Violation(
          `leader completeness: ${id} (term ${raft.term}) lacks committed entry ${i}`,
        );
      }
    }
  }

  /** State machine safety: whatever a node applies at an index is what was committed there. */
  onApply(id: NodeId, e: Entry): void {
    const known = this.committed.get(e.index);
    if (known === undefined)
      throw new Violation(`${id}: applied ${e.index} before anyone committed it`);
    if (!sameEntry(known, e))
      throw new Violation(`state machine safety: ${id} applied a different entry at ${e.index}`);
  }

  /** Durable term never goes back; a durable vote is never changed within a term. */
  onPersist(id: NodeId, hs: HardState): void {
    const prev = this.durable.get(id);
    if (prev !== undefined) {
      if (hs.term < prev.term)
        throw new Violation(`${id}: durable term went back ${prev.term} -> ${hs.term}`);
      if (hs.term === prev.term && prev.vote !== null && hs.vote !== prev.vote) {
        throw new Violation(
          `${id}: voted twice in term ${hs.term} (${prev.vote}, then ${hs.vote})`,
        );
      }
    }
    this.durable.set(id, hs);
  }

  /** The node's storage was wiped (it left the cluster for good); forget its durable state. */
  forget(id: NodeId): void {
    this.durable.delete(id);
    this.watch.delete(id);
  }

  /** Log matching (§5.3): two logs with an entry of the same index and term agree up to it. */
  static checkLogMatching(a: NodeId, ra: RaftNode, b: NodeId, rb: RaftNode): void {
    const lo = Math.max(ra.log.firstIndex(), rb.log.firstIndex());
    const hi = Math.min(ra.log.lastIndex(), rb.log.lastIndex());
    let i = hi;
    while (i >= lo && ra.log.term(i) !== rb.log.term(i)) i--;
    for (let k = i; k >= lo; k--) {
      if (!sameEntry(ra.log.entry(k)!, rb.log.entry(k)!)) {
        throw new Violation(`log matching: ${a} and ${b} agree on term at ${i} but differ at ${k}`);
      }
    }
  }
}
