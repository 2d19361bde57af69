/**
 * The durable side of a Raft node: what a host writes in step 2 of handling a `Ready` and what the
 * node restarts from. One file-backed implementation (`FileRaftStorage`, wal.ts) and one in-memory
 * twin (`MemoryRaftStorage`); the same conformance suite runs against both.
 */
import type { Entry, PersistedState, Ready, Snapshot } from '../raft/types';

export interface RaftStorage {
  /** Step 2 of a Ready: snapshot, then entries (replacing any stored entry at or after entries[0].index), then hard state; resolves once durable (fsynced). */
  persist(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>): Promise<void>;
  /** The host compacted into `snapshot` (already applied): make the snapshot durable, then drop entries it covers (whole segments may be deleted lazily). */
  compact(snapshot: Snapshot): Promise<void>;
  /** What the node restarts from. */
  load(): Promise<PersistedState>;
  close(): Promise<void>;
}

/**
 * The core hands over contiguous entries that start at most one past the log's last index.
 * Anything else is a host bug; storing it would leave a hole that the log-matching property cannot
 * survive, so both implementations refuse it the same way, before writing anything.
 *
 * `lastIndex` is the log's last index once the Ready's snapshot (if any) is applied: the last
 * stored entry's, else the snapshot's, else 0.
 */
export function assertAppendable(entries: readonly Entry[], lastIndex: number): void {
  const first = entries[0];
  if (first === undefined) return;
  if (first.index > lastIndex + 1) {
    throw new Error(`entries start at ${first.index} but the log ends at ${lastIndex}: a hole`);
  }
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i];
    if (e === undefined || e.index !== first.index + i) {
      throw new Error(`entries are not contiguous after index ${first.index + i - 1}`);
    }
  }
}
