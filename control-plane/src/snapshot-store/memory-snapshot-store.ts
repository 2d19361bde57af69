/**
 * The in-memory twin of the snapshot stores. Several instances may share one
 * `MemorySnapshotBacking`, the way several coordinators share a DynamoDB table, so a test can have
 * one coordinator read what another wrote. It keeps a checksum like the real stores do, so damage a
 * test does to a record is detected the same way.
 */
import type { Snapshot, SnapshotMeta } from '../raft/types';
import { sha256Hex } from './checksum';
import { SnapshotCorruptError } from './errors';
import { assertSnapshotShape, type SnapshotStore } from './snapshot-store';
import { StoreLifecycle } from './store-lifecycle';

export interface MemorySnapshotRecord {
  readonly meta: SnapshotMeta;
  /** Mutable on purpose: tests damage it to check that `latest()` notices. */
  readonly data: Uint8Array;
  readonly sha256: string;
}

/** What a set of memory stores shares: the latest record of each cluster. */
export class MemorySnapshotBacking {
  readonly records = new Map<string, MemorySnapshotRecord>();
}

export class MemorySnapshotStore implements SnapshotStore {
  private readonly lifecycle: StoreLifecycle;

  constructor(
    readonly clusterName: string,
    readonly backing: MemorySnapshotBacking = new MemorySnapshotBacking(),
  ) {
    if (clusterName === '') throw new TypeError('the cluster name must not be empty');
    this.lifecycle = new StoreLifecycle(`memory snapshot store of cluster ${clusterName}`);
  }

  save(snapshot: Snapshot): Promise<boolean> {
    return this.lifecycle.run(() => {
      assertSnapshotShape(snapshot);
      const current = this.backing.records.get(this.clusterName);
      if (current !== undefined && current.meta.index >= snapshot.meta.index) {
        return Promise.resolve(false);
      }
      // Copies, so that a caller reusing its buffers cannot change what is stored.
      const data = new Uint8Array(snapshot.data);
      this.backing.records.set(this.clusterName, {
        meta: copyMeta(snapshot.meta),
        data,
        sha256: sha256Hex(data),
      });
      return Promise.resolve(true);
    });
  }

  latest(): Promise<Snapshot | null> {
    return this.lifecycle.run(() => {
      const record = this.backing.records.get(this.clusterName);
      if (record === undefined) return Promise.resolve(null);
      if (sha256Hex(record.data) !== record.sha256) {
        throw new SnapshotCorruptError(`memory:${this.clusterName}`, 'sha256 does not match');
      }
      return Promise.resolve({ meta: copyMeta(record.meta), data: new Uint8Array(record.data) });
    });
  }

  close(): Promise<void> {
    return this.lifecycle.close();
  }
}

function copyMeta(meta: SnapshotMeta): SnapshotMeta {
  return {
    index: meta.index,
    term: meta.term,
    conf: { voters: [...meta.conf.voters], learners: [...meta.conf.learners] },
  };
}
