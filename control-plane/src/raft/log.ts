/**
 * The node's copy of the Raft log in memory: the last snapshot, the entries after it, the commit
 * and apply points, and which entries the host has yet to make durable. The core never reads the
 * disk: the host hands it what it persisted at start, and persists what `Ready` hands it.
 */
import { EMPTY_CONF, decodeConfEntry } from './membership';
import type { ConfState, Entry, PersistedState, Snapshot } from './types';

export class RaftLog {
  /** The latest snapshot, kept to send to followers behind the compaction point. */
  snapshot: Snapshot | null;
  /** A snapshot received from the leader that the host has yet to persist and restore. */
  pendingSnapshot: Snapshot | null = null;
  committed: number;
  applied: number;

  private offset: number;
  private offsetTerm: number;
  private entries: Entry[];
  /** Indexes of `conf` entries after the snapshot, ascending: membership lookups stay O(1). */
  private confIndexes: number[] = [];
  /** Bumped whenever the latest membership may have changed. */
  confVersion = 0;

  // Persistence bookkeeping: entries before `unstableFrom` have been handed to the host; those up
  // to `handedTo` are being written; those up to `persistedTo` are known durable.
  private unstableFrom: number;
  private handedTo: number;
  private persistedTo: number;
  private applyingTo: number;

  constructor(state: PersistedState) {
    this.snapshot = state.snapshot;
    this.offset = state.snapshot?.meta.index ?? 0;
    this.offsetTerm = state.snapshot?.meta.term ?? 0;
    this.entries = state.entries.filter((e) => e.index > this.offset);
    this.entries.forEach((e, i) => {
      if (e.index !== this.offset + 1 + i) {
        throw new Error(`persisted log has a gap at index ${this.offset + 1 + i}`);
      }
    });
    for (const e of this.entries) if (e.type === 'conf') this.confIndexes.push(e.index);
    this.applied = this.offset;
    this.applyingTo = this.offset;
    this.committed = Math.max(this.offset, Math.min(state.hardState.commit, this.lastIndex()));
    this.unstableFrom = this.lastIndex() + 1;
    this.handedTo = this.lastIndex();
    this.persistedTo = this.lastIndex();
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  /** The term at `i`, or undefined when `i` is compacted away or beyond the log. */
  term(i: number): number | undefined {
    if (i === this.offset) return this.offsetTerm;
    if (i < this.offset || i > this.lastIndex()) return undefined;
    return this.entries[i - this.offset - 1]?.term;
  }

  /** The entry at `i`, or undefined when compacted away or beyond the log. */
  entry(i: number): Entry | undefined {
    return i > this.offset ? this.entries[i - this.offset - 1] : undefined;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Paper §5.4.1: a voter only grants a candidate whose log is at least as up to date. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `max` of them; `lo` must not be compacted. */
  slice(lo: number, hi: number, max = Infinity): Entry[] {
    if (lo <= this.offset)
      throw new Error(`slice(${lo}) below the first index ${this.firstIndex()}`);
    const end = Math.min(hi, this.lastIndex() + 1, lo + max);
    if (end <= lo) return [];
    return this.entries.slice(lo - this.offset - 1, end - this.offset - 1);
  }

  /** Appends, replacing any entries at or after the first new index (never committed ones). */
  append(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    if (first.index <= this.committed) {
      throw new Error(
        `invariant: truncating committed entry ${first.index} (commit ${this.committed})`,
      );
    }
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`invariant: gap appending ${first.index} after ${this.lastIndex()}`);
    }
    if (first.index <= this.lastIndex()) {
      this.entries.length = first.index - this.offset - 1;
      this.dropConfIndexesFrom(first.index);
      this.handedTo = Math.min(this.handedTo, first.index - 1);
      this.persistedTo = Math.min(this.persistedTo, first.index - 1);
    }
    this.unstableFrom = Math.min(this.unstableFrom, first.index);
    for (const e of ents) {
      this.entries.push(e);
      if (e.type === 'conf') {
        this.confIndexes.push(e.index);
        this.confVersion++;
      }
    }
  }

  private dropConfIndexesFrom(index: number): void {
    const before = this.confIndexes.length;
    while ((this.confIndexes[this.confIndexes.length - 1] ?? -1) >= index) this.confIndexes.pop();
    if (this.confIndexes.length !== before) this.confVersion++;
  }

  /** The first new entry whose term differs from ours, or 0 if all are already here (§5.3). */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * AppendEntries receiver rules (Figure 2). Returns the last index known to match the leader, or
   * null when the entry before `ents` does not match. Entries already here are kept: a delayed,
   * shorter append must never truncate what a newer one wrote.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    leaderCommit: number,
    ents: readonly Entry[],
  ): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) this.append(ents.slice(conflict - index - 1));
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** The largest index at or below `index` whose term is at most `term` (fast log backtracking). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.offset; i--) {
      const t = this.term(i);
      if (t !== undefined && t <= term) break;
    }
    return i;
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) {
      throw new Error(`invariant: commit ${i} beyond last index ${this.lastIndex()}`);
    }
    this.committed = i;
  }

  /** Membership as of index `i`: the last `conf` entry at or before it, else the snapshot's. */
  confAt(i: number): ConfState {
    for (let k = this.confIndexes.length - 1; k >= 0; k--) {
      const j = this.confIndexes[k] ?? 0;
      if (j > i) continue;
      const e = this.entries[j - this.offset - 1];
      if (e === undefined) throw new Error(`invariant: conf entry ${j} missing`);
      return decodeConfEntry(e.data).conf;
    }
    return this.snapshot?.meta.conf ?? EMPTY_CONF;
  }

  /** Index of the last `conf` entry in the log, or the snapshot index if there is none after it. */
  lastConfIndex(): number {
    return this.confIndexes[this.confIndexes.length - 1] ?? this.offset;
  }

  /** Replaces the log by a leader's snapshot (§7). The host persists and restores it from Ready. */
  restore(s: Snapshot): void {
    this.snapshot = s;
    this.pendingSnapshot = s;
    this.offset = s.meta.index;
    this.offsetTerm = s.meta.term;
    this.entries = [];
    this.confIndexes = [];
    this.confVersion++;
    this.committed = s.meta.index;
    this.unstableFrom = s.meta.index + 1;
    this.handedTo = Math.min(this.handedTo, s.meta.index);
    this.persistedTo = Math.min(this.persistedTo, s.meta.index);
  }

  /** Drops entries up to `index`, which the host has applied and captured in `data` (§7). */
  compact(index: number, data: Uint8Array): Snapshot {
    if (index > this.applied)
      throw new Error(`cannot compact to ${index}: applied ${this.applied}`);
    if (index <= this.offset)
      throw new Error(`cannot compact to ${index}: already at ${this.offset}`);
    const term = this.term(index);
    if (term === undefined) throw new Error(`invariant: no term at ${index}`);
    const snap: Snapshot = { meta: { index, term, conf: this.confAt(index) }, data };
    this.entries = this.entries.slice(index - this.offset);
    this.confIndexes = this.confIndexes.filter((j) => j > index);
    this.offset = index;
    this.offsetTerm = term;
    this.snapshot = snap;
    return snap;
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex() || this.pendingSnapshot !== null;
  }

  hasCommittedToApply(): boolean {
    return this.committed > Math.max(this.applyingTo, this.offset);
  }

  /** Hands unpersisted entries to the host; they count as durable at `acceptPersisted()`. */
  takeUnstable(): Entry[] {
    const ents =
      this.unstableFrom <= this.lastIndex() ? this.slice(this.unstableFrom, Infinity) : [];
    this.handedTo = this.lastIndex();
    this.unstableFrom = this.lastIndex() + 1;
    return ents;
  }

  takeCommitted(): Entry[] {
    const from = Math.max(this.applyingTo, this.offset) + 1;
    const ents = this.committed >= from ? this.slice(from, this.committed + 1) : [];
    this.applyingTo = Math.max(this.applyingTo, this.committed, this.offset);
    return ents;
  }

  acceptPersisted(snapshotGiven: Snapshot | null): void {
    // Only the snapshot that Ready handed over is durable: a newer one restored since still waits.
    if (snapshotGiven !== null && this.pendingSnapshot === snapshotGiven)
      this.pendingSnapshot = null;
    this.persistedTo = Math.max(this.persistedTo, this.handedTo);
  }

  acceptApplied(): void {
    this.applied = this.applyingTo;
  }

  /** The last index the host has made durable: the leader counts only this for itself. */
  durableIndex(): number {
    return this.persistedTo;
  }
}
