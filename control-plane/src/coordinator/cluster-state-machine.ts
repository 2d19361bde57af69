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

  get state(): ClusterState {
    return this.current;
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
    return apply(this.current, decoded.command, entry.index);
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
  }
}
