/**
 * What the HTTP API (and later the worker control handlers) need from a running coordinator: the
 * seam between `api/` and the Raft host. The real implementation is `CoordinatorNode`
 * (coordinator-node.ts); a Raft of one on memory storage is the in-process twin used by API tests.
 *
 * Every write goes through `propose`, which resolves once the command is committed and applied on
 * this node (so a read after a write on the same node sees it). A node that is not the leader
 * rejects with `NotLeaderError` naming the leader when it knows one; the API forwards the HTTP
 * request there. With no leader known it rejects with `NoLeaderError` (503 + Retry-After).
 */
import type { ApplyResult, Command } from '../cluster-state/commands';
import type { ReadonlyClusterState } from '../cluster-state/state';
import type { WorkerReport } from './worker-rpc';

export interface LeaderRef {
  readonly id: string;
  /** Base URL of the leader's HTTP API, null while its coordinator record is not applied yet. */
  readonly api: string | null;
}

export class NotLeaderError extends Error {
  readonly code = 'TREMOR_NOT_LEADER';
  constructor(readonly leader: LeaderRef) {
    super(`this node is not the leader; the leader is ${leader.id}`);
    this.name = 'NotLeaderError';
  }
}

export class NoLeaderError extends Error {
  readonly code = 'TREMOR_NO_LEADER';
  constructor(readonly retryAfterSeconds = 1) {
    super('no Raft leader is known at the moment; retry shortly');
    this.name = 'NoLeaderError';
  }
}

/** The command was proposed but not applied in time (a leader change may have dropped it). */
export class ProposalTimeoutError extends Error {
  readonly code = 'TREMOR_PROPOSAL_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`the change was not committed within ${timeoutMs} ms; it may or may not take effect`);
    this.name = 'ProposalTimeoutError';
  }
}

/**
 * Every command travels in one Raft entry, and one entry in one transport frame; a command must
 * stay well under the frame limit (16 MiB) or no follower could ever receive it.
 */
export const MAX_COMMAND_BYTES = 4 * 1024 * 1024;

export class CommandTooLargeError extends Error {
  readonly code = 'TREMOR_COMMAND_TOO_LARGE';
  constructor(readonly bytes: number) {
    super(
      `the change is ${bytes} bytes encoded; the most one change may carry is ${MAX_COMMAND_BYTES}`,
    );
    this.name = 'CommandTooLargeError';
  }
}

/** A membership or leadership request the Raft group cannot take now (with the reason). */
export class MembershipError extends Error {
  constructor(
    readonly code:
      | 'TREMOR_MEMBERSHIP_CHANGE_PENDING'
      | 'TREMOR_MEMBERSHIP_CHANGE_INVALID'
      | 'TREMOR_COORDINATOR_UNREACHABLE'
      | 'TREMOR_COORDINATOR_NOT_FOUND'
      | 'TREMOR_COORDINATOR_EXISTS'
      | 'TREMOR_LAST_COORDINATOR'
      | 'TREMOR_TRANSFER_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'MembershipError';
  }
}

export interface CoordinatorStatus {
  readonly nodeId: string;
  readonly roles: readonly ('coordinator' | 'worker')[];
  readonly clusterName: string;
  readonly leader: string | null;
  readonly term: number;
  readonly appliedRevision: number;
  /** A leader is known (coordinator readiness per CONTRACT §3). */
  readonly ready: boolean;
}

export type CoordinatorRole = 'leader' | 'follower' | 'candidate' | 'learner' | 'unknown';

export interface CoordinatorMember {
  /** Raft member id (the node id, or `nodeId#incarnation` after a disk replacement). */
  readonly id: string;
  readonly address: string | null;
  readonly api: string | null;
  readonly role: CoordinatorRole;
  readonly voter: boolean;
  /** This node has an authenticated connection to it (always true for itself). */
  readonly reachable: boolean;
}

export interface CoordinatorService {
  readonly nodeId: string;
  /**
   * This node's Raft member id: `nodeId`, or `nodeId#incarnation` after a disk replacement.
   * `status().leader` and `members()` name members by it; the API compares the two to know
   * whether this node is the leader (added for api/, which marks the leader's answers).
   */
  readonly memberId: string;
  status(): CoordinatorStatus;
  /** The locally applied state: what `?stale=true` reads. Do not keep it across awaits. */
  state(): ReadonlyClusterState;
  /** The Raft membership as this node sees it, joined with the coordinator records. */
  members(): CoordinatorMember[];
  /** Commit `cmd` through Raft and apply it; refusals are results, not rejections. */
  propose<C extends Command>(cmd: C): Promise<ApplyResult<C['kind']>>;
  /** Resolves once the local state reflects every write committed before the call (ReadIndex). */
  linearizableRead(): Promise<ReadonlyClusterState>;
  /** Admit a coordinator at cluster address `host:port`: learner first, voter once caught up. */
  addCoordinator(address: string): Promise<{ readonly id: string }>;
  removeCoordinator(id: string): Promise<void>;
  /** Hand leadership to `to`, or to the most caught-up voter when null. */
  transferLeader(to: string | null): Promise<{ readonly to: string }>;
  /**
   * What each worker last reported in its heartbeats (flows it runs, backlog of its vnodes).
   * Heartbeats go to the leader: other nodes answer an empty map, so linearizable reads (served
   * by the leader) see fresh reports and stale reads none.
   */
  workerReports(): ReadonlyMap<string, WorkerReport>;
}
