/**
 * What the HTTP API of a worker-only process sees as its coordinator service. A worker holds no
 * cluster state: it serves ingest and its own status, and every other route is forwarded to the
 * leader coordinator (the API forwards on NotLeaderError), or answered 503 while no leader is
 * known.
 */
import type { ApplyResult, Command } from '../../../control-plane/src/cluster-state/commands';
import type { ReadonlyClusterState } from '../../../control-plane/src/cluster-state/state';
import {
  NoLeaderError,
  NotLeaderError,
  type CoordinatorMember,
  type CoordinatorService,
  type CoordinatorStatus,
} from '../../../control-plane/src/coordinator/service';
import type { WorkerReport } from '../../../control-plane/src/coordinator/worker-rpc';
import type { WorkerNode } from './worker-node';

export class WorkerApiService implements CoordinatorService {
  constructor(
    private readonly node: WorkerNode,
    private readonly clusterName: string,
  ) {}

  get nodeId(): string {
    return this.node.id;
  }

  get memberId(): string {
    return this.node.id;
  }

  status(): CoordinatorStatus {
    return {
      nodeId: this.node.id,
      roles: ['worker'],
      clusterName: this.clusterName,
      leader: this.node.leader?.id ?? null,
      term: 0,
      appliedRevision: this.node.lastView?.revision ?? 0,
      // A worker is ready once it joined and reconciled to a view of the cluster state.
      ready: this.node.state === 'running' && this.node.lastView !== null,
    };
  }

  state(): ReadonlyClusterState {
    return this.toLeader();
  }

  members(): CoordinatorMember[] {
    return this.toLeader();
  }

  propose<C extends Command>(_cmd: C): Promise<ApplyResult<C['kind']>> {
    return this.rejectToLeader();
  }

  linearizableRead(): Promise<ReadonlyClusterState> {
    return this.rejectToLeader();
  }

  addCoordinator(): Promise<{ readonly id: string }> {
    return this.rejectToLeader();
  }

  removeCoordinator(): Promise<void> {
    return this.rejectToLeader();
  }

  transferLeader(): Promise<{ readonly to: string }> {
    return this.rejectToLeader();
  }

  /** Reports live on the leader; the routes that show them are forwarded there. */
  workerReports(): ReadonlyMap<string, WorkerReport> {
    return new Map();
  }

  private toLeader(): never {
    const leader = this.node.leader;
    if (leader === null) throw new NoLeaderError();
    throw new NotLeaderError(leader);
  }

  private rejectToLeader<T>(): Promise<T> {
    const leader = this.node.leader;
    return Promise.reject(leader === null ? new NoLeaderError() : new NotLeaderError(leader));
  }
}
