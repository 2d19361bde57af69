/**
 * Where a coordinator keeps the latest Raft snapshot outside its own disk, so that a coordinator
 * whose disk is gone (a replaced container) can restore and rejoin. Three implementations share
 * this interface and one conformance suite: DynamoDB, file and memory.
 *
 * Every store is scoped to one cluster name; several clusters may share a table or a directory.
 */
import type { Snapshot } from '../raft/types';

export interface SnapshotStore {
  /**
   * Stores `snapshot` unless the store already holds one at an equal or higher index (so an older
   * snapshot never replaces a newer one, even with several writers racing). Resolves true if it
   * became the latest, false if a snapshot at an equal or higher index was there. Durable when it
   * resolves true.
   */
  save(snapshot: Snapshot): Promise<boolean>;
  /**
   * The latest complete snapshot, checksum verified, or null if there is none. A torn or partial
   * save is never returned; a damaged latest snapshot rejects with `TREMOR_SNAPSHOT_CORRUPT`.
   */
  latest(): Promise<Snapshot | null>;
  /** Waits for operations in flight; later calls reject with `TREMOR_SNAPSHOT_STORE_CLOSED`. */
  close(): Promise<void>;
}

/** Snapshots are ordered by index alone: Raft never has two committed states at one index. */
export function assertSnapshotShape(snapshot: Snapshot): void {
  const { index, term } = snapshot.meta;
  if (!Number.isSafeInteger(index) || index < 0 || !Number.isSafeInteger(term) || term < 0) {
    throw new TypeError(`snapshot index and term must be non-negative integers: ${index}/${term}`);
  }
}
