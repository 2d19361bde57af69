/**
 * The Raft core's vocabulary: log entries, messages, persisted state and the `Ready` batch that
 * hands work to the host. Shapes follow etcd-io/raft, flattened for TypeScript.
 */

export type NodeId = string;

/** `normal` carries application data; `conf` carries a whole new membership (see config.ts). */
export type EntryType = 'normal' | 'conf';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** Voters decide elections and commitment; learners only receive the log (thesis §4.2.1). */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  /** Membership as of `index`: a node restored from the snapshot knows its cluster. */
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** What must be on disk before a vote or an append is acknowledged (paper §5.1, Figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

export type MessageType =
  | 'app'
  | 'app-resp'
  | 'vote'
  | 'vote-resp'
  | 'pre-vote'
  | 'pre-vote-resp'
  | 'heartbeat'
  | 'heartbeat-resp'
  | 'snap'
  | 'timeout-now';

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: index of the entry before `entries`; app-resp: highest index matched (or rejected probe); vote: candidate's last index. */
  readonly index: number;
  /** app: term at `index`; vote: candidate's last term; app-resp reject: term at `rejectHint`. */
  readonly logTerm: number;
  readonly commit: number;
  readonly entries?: readonly Entry[];
  readonly reject?: boolean;
  /** app-resp reject: the follower's best guess of where the logs may match. */
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  /** heartbeat(-resp): the ReadIndex request being confirmed; vote: 'transfer' forces past the lease. */
  readonly context?: string;
}

/** A linearizable read is safe once the state machine has applied `index` (thesis §6.4). */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * One batch of work for the host, in this order:
 * 1. send `messages` (they need nothing durable);
 * 2. persist `snapshot`, then `entries` (replacing any stored entry at or after `entries[0].index`),
 *    then `hardState`, and sync;
 * 3. send `messagesAfterPersist` (votes and acknowledgements promise what step 2 wrote);
 * 4. apply `committedEntries` (after restoring `snapshot` to the state machine, if any);
 * 5. call `advance()`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
}

/** What a node restarts from: exactly what its host persisted. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing a leader before campaigning; randomized in [t, 2t) (paper §5.2). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Entries per append message (batching). */
  readonly maxEntriesPerMsg: number;
  /**
   * Entry bytes per append message; a message carries at least one entry whatever its size. Keeps
   * a batch of large entries under the transport's frame limit (etcd's MaxSizePerMsg).
   */
  readonly maxBytesPerMsg?: number;
  /** Append messages in flight per follower before waiting for acknowledgements (pipelining). */
  readonly maxInflightMsgs: number;
  readonly random: () => number;
}
