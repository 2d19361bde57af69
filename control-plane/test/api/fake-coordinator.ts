/**
 * An in-memory twin of `CoordinatorService` for API tests: a real `ClusterState` changed only by
 * the real `apply()`, without Raft. It can play the leader, a follower that knows its leader (and
 * that leader's API URL, or not), or a node that knows no leader.
 */
import { apply } from '../../src/cluster-state/apply';
import type { WorkerReport } from '../../src/coordinator/worker-rpc';
import { COMMAND_VERSION, type ApplyResult, type Command } from '../../src/cluster-state/commands';
import { listCoordinators } from '../../src/cluster-state/queries';
import {
  createClusterState,
  type ClusterState,
  type ReadonlyClusterState,
} from '../../src/cluster-state/state';
import {
  MembershipError,
  NoLeaderError,
  NotLeaderError,
  type CoordinatorMember,
  type CoordinatorService,
  type CoordinatorStatus,
  type LeaderRef,
} from '../../src/coordinator/service';

export type FakeMode =
  | { readonly kind: 'leader' }
  | { readonly kind: 'follower'; readonly leader: LeaderRef }
  | { readonly kind: 'no-leader' };

export interface FakeOptions {
  readonly nodeId?: string;
  readonly clusterName?: string;
  readonly vnodes?: number;
  /** This node's own API base URL, as recorded in its coordinator record. */
  readonly api?: string;
}

export class FakeCoordinator implements CoordinatorService {
  readonly nodeId: string;
  readonly memberId: string;
  readonly clusterName: string;
  mode: FakeMode = { kind: 'leader' };
  term = 1;
  /** Every command proposed while leader, in order. */
  readonly proposed: Command[] = [];
  /** Counts `linearizableRead` calls (stale reads must not make any). */
  linearizableReads = 0;
  private readonly cluster: ClusterState = createClusterState();
  private index = 0;
  private nextFailure: Error | undefined = undefined;
  /** What `workerReports()` answers; tests fill it in. */
  readonly reports = new Map<string, WorkerReport>();

  workerReports(): ReadonlyMap<string, WorkerReport> {
    return this.reports;
  }

  constructor(opts: FakeOptions = {}) {
    this.nodeId = opts.nodeId ?? 'c1';
    this.memberId = this.nodeId;
    this.clusterName = opts.clusterName ?? 'tremor';
    this.applyNow({
      v: COMMAND_VERSION,
      kind: 'bootstrap',
      name: this.clusterName,
      vnodeCount: opts.vnodes ?? 8,
    });
    this.applyNow({
      v: COMMAND_VERSION,
      kind: 'coordinator.add',
      id: this.memberId,
      address: `${this.nodeId}:8139`,
      api: opts.api ?? `http://${this.nodeId}:9898`,
    });
  }

  // ------------------------------------------------------------------ test controls

  becomeLeader(): this {
    this.mode = { kind: 'leader' };
    return this;
  }

  followerOf(leader: LeaderRef): this {
    this.mode = { kind: 'follower', leader };
    return this;
  }

  withoutLeader(): this {
    this.mode = { kind: 'no-leader' };
    return this;
  }

  /** The next service call (propose, read, membership) rejects with `error`. */
  failNextWith(error: Error): void {
    this.nextFailure = error;
  }

  /** Applies directly, whatever the mode: the replicated log delivering a committed entry. */
  applyNow<C extends Command>(cmd: C): ApplyResult<C['kind']> {
    this.index += 1;
    return apply(this.cluster, cmd, this.index);
  }

  joinWorker(id: string): void {
    const result = this.applyNow({
      v: COMMAND_VERSION,
      kind: 'worker.join',
      id,
      api: `http://${id}:9898`,
      clusterName: this.clusterName,
      vnodeCount: this.cluster.vnodeCount,
    });
    if (!result.ok) throw new Error(`join ${id}: ${result.code}`);
  }

  // ------------------------------------------------------------------ CoordinatorService

  status(): CoordinatorStatus {
    const leader = this.leaderId();
    return {
      nodeId: this.nodeId,
      roles: ['coordinator'],
      clusterName: this.clusterName,
      leader,
      term: this.term,
      appliedRevision: this.cluster.appliedRevision,
      ready: leader !== null,
    };
  }

  state(): ReadonlyClusterState {
    return this.cluster;
  }

  members(): CoordinatorMember[] {
    const leader = this.leaderId();
    return listCoordinators(this.cluster).map((c) => ({
      id: c.id,
      address: c.address,
      api: c.api,
      role: c.id === leader ? 'leader' : 'follower',
      voter: true,
      reachable: true,
    }));
  }

  propose<C extends Command>(cmd: C): Promise<ApplyResult<C['kind']>> {
    return this.asLeader(() => {
      this.proposed.push(cmd);
      return this.applyNow(cmd);
    });
  }

  linearizableRead(): Promise<ReadonlyClusterState> {
    return this.asLeader(() => {
      this.linearizableReads += 1;
      return this.cluster;
    });
  }

  async addCoordinator(address: string): Promise<{ readonly id: string }> {
    this.requireLeader();
    if (address.startsWith('unreachable')) {
      throw new MembershipError(
        'TREMOR_COORDINATOR_UNREACHABLE',
        `cannot reach a coordinator at ${address}`,
      );
    }
    const id = address;
    const host = address.replace(/:\d+$/, '');
    const result = await this.propose({
      v: COMMAND_VERSION,
      kind: 'coordinator.add',
      id,
      address,
      api: `http://${host}:9898`,
    });
    if (!result.ok) throw new MembershipError('TREMOR_COORDINATOR_EXISTS', result.message);
    return { id };
  }

  async removeCoordinator(id: string): Promise<void> {
    this.requireLeader();
    if (!this.cluster.coordinators.has(id)) {
      throw new MembershipError('TREMOR_COORDINATOR_NOT_FOUND', `no coordinator ${id}`);
    }
    if (this.cluster.coordinators.size === 1) {
      throw new MembershipError('TREMOR_LAST_COORDINATOR', `${id} is the last voting coordinator`);
    }
    await this.propose({ v: COMMAND_VERSION, kind: 'coordinator.remove', id });
  }

  transferLeader(to: string | null): Promise<{ readonly to: string }> {
    return this.asLeader(() => this.transferNow(to));
  }

  private transferNow(to: string | null): { readonly to: string } {
    const target = to ?? [...this.cluster.coordinators.keys()].find((id) => id !== this.memberId);
    if (target === undefined) {
      throw new MembershipError('TREMOR_TRANSFER_FAILED', 'no other voting coordinator');
    }
    const record = this.cluster.coordinators.get(target);
    if (record === undefined) {
      throw new MembershipError('TREMOR_COORDINATOR_NOT_FOUND', `no coordinator ${target}`);
    }
    if (target !== this.memberId) {
      this.term += 1;
      this.followerOf({ id: target, api: record.api });
    }
    return { to: target };
  }

  // ------------------------------------------------------------------ internals

  private leaderId(): string | null {
    switch (this.mode.kind) {
      case 'leader':
        return this.memberId;
      case 'follower':
        return this.mode.leader.id;
      case 'no-leader':
        return null;
    }
  }

  /** Runs `fn` as the leader would, or rejects as a follower or a leaderless node does. */
  private asLeader<T>(fn: () => T): Promise<T> {
    // A throw in the executor rejects the promise.
    return new Promise((resolve) => {
      this.requireLeader();
      resolve(fn());
    });
  }

  private requireLeader(): void {
    if (this.nextFailure !== undefined) {
      const failure = this.nextFailure;
      this.nextFailure = undefined;
      throw failure;
    }
    if (this.mode.kind === 'follower') throw new NotLeaderError(this.mode.leader);
    if (this.mode.kind === 'no-leader') throw new NoLeaderError();
  }
}
