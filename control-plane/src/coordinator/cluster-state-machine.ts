/**
 * The cluster state as a Raft state machine: committed entries in, `ApplyResult`s out. Entries
 * that carry no command (membership changes, a new leader's empty entry) only advance the
 * revision, so `appliedRevision` is always the Raft index of the last applied entry.
 */
import { advanceRevision, apply } from '../cluster-state/apply';
import { decodeCommand, restore, snapshot } from '../cluster-state/codec';
import type { ApplyResult } from '../cluster-state/commands';
import { createClusterState, type ClusterState } from '../cluster-state/state';
import type { StateMachine } from '../raft-host/raft-host';
import type { Entry, Snapshot } from '../raft/types';

export class ClusterStateMachine implements StateMachine {
  private current: ClusterState = createClusterState();
  private viewRevisionValue = 0;
  private readonly viewListeners = new Set<() => void>();

  get state(): ClusterState {
    return this.current;
  }

  /**
   * The revision of the last change workers care about (flows, workers, vnodes; not KV), so a
   * KV write does not wake every worker's watch.
   */
  get viewRevision(): number {
    return this.viewRevisionValue;
  }

  /** Called after every change of `viewRevision`; answers a function that unsubscribes. */
  onViewChange(listener: () => void): () => void {
    this.viewListeners.add(listener);
    return () => this.viewListeners.delete(listener);
  }

  private viewChanged(revision: number): void {
    this.viewRevisionValue = revision;
    for (const listener of [...this.viewListeners]) listener();
  }

  apply(entry: Entry): ApplyResult | null {
    if (entry.type !== 'normal' || entry.data.length === 0) {
      advanceRevision(this.current, entry.index);
      return null;
    }
    const decoded = decodeCommand(entry.data);
    if (!decoded.ok) {
      advanceRevision(this.current, entry.index);
      return decoded;
    }
    const result = apply(this.current, decoded.command, entry.index);
    if (result.ok && !decoded.command.kind.startsWith('kv.')) this.viewChanged(entry.index);
    return result;
  }

  snapshot(): Uint8Array {
    return snapshot(this.current);
  }

  restore(s: Snapshot): void {
    this.current = s.data.length === 0 ? createClusterState() : restore(s.data);
    // A snapshot of a state that had not applied its last entries' revisions yet cannot exist:
    // every applied entry advances the revision. Anything else is a bug, not bad input.
    if (s.data.length > 0 && this.current.appliedRevision !== s.meta.index) {
      throw new Error(
        `snapshot at index ${s.meta.index} holds a state at revision ${this.current.appliedRevision}`,
      );
    }
    if (s.data.length === 0) this.current.appliedRevision = s.meta.index;
    this.viewChanged(this.current.appliedRevision);
  }
}
