/**
 * A coordinator's side of the worker protocol (worker-rpc.ts): joins, heartbeats, watches and
 * leaves. Joins, heartbeats and leaves need the leader (the failure detector's clock lives there);
 * a follower answers `not-leader` with the leader's id. Watches are answered by the leader too, so
 * a worker never sees a view older than one it saw before.
 */
import { COMMAND_VERSION, type ApplyResult, type Command } from '../cluster-state/commands';
import { vnodesOwnedBy } from '../cluster-state/queries';
import type { ReadonlyClusterState } from '../cluster-state/state';
import type { ClusterStateMachine } from './cluster-state-machine';
import { buildWorkerView } from './worker-view';
import {
  WORKER_HEARTBEAT,
  WORKER_JOIN,
  WORKER_LEAVE,
  WORKER_WATCH,
  isWorkerIdRequest,
  isWorkerJoinRequest,
  isWorkerWatchRequest,
  reportOf,
  type NotLeader,
  type WorkerHeartbeatAnswer,
  type WorkerJoinAnswer,
  type WorkerJoinRequest,
  type WorkerLeaveAnswer,
  type WorkerWatchAnswer,
} from './worker-rpc';
import type { WorkerSupervisor } from './worker-supervisor';

/** The longest a watch is held before it is answered with the unchanged view. */
export const MAX_WATCH_MS = 10_000;

export interface WorkerControlDeps {
  readonly machine: ClusterStateMachine;
  readonly supervisor: WorkerSupervisor;
  readonly leader: () => { readonly isLeader: boolean; readonly leader: string | null };
  readonly propose: <C extends Command>(cmd: C) => Promise<ApplyResult<C['kind']>>;
}

export const WORKER_METHODS: ReadonlySet<string> = new Set([
  WORKER_JOIN,
  WORKER_HEARTBEAT,
  WORKER_WATCH,
  WORKER_LEAVE,
]);

export class WorkerControl {
  constructor(private readonly deps: WorkerControlDeps) {}

  handle(method: string, body: unknown): Promise<unknown> {
    const notLeader = this.notLeader();
    if (notLeader) return Promise.resolve(notLeader);
    switch (method) {
      case WORKER_JOIN:
        if (!isWorkerJoinRequest(body)) return malformed(method);
        return this.join(body);
      case WORKER_HEARTBEAT:
        if (!isWorkerIdRequest(body)) return malformed(method);
        return Promise.resolve({
          ok: true,
          state: this.deps.supervisor.heard(body.workerId, reportOf(body)),
        } satisfies WorkerHeartbeatAnswer);
      case WORKER_WATCH:
        if (!isWorkerWatchRequest(body)) return malformed(method);
        return this.watch(body.since, Math.min(body.waitMs, MAX_WATCH_MS));
      case WORKER_LEAVE:
        if (!isWorkerIdRequest(body)) return malformed(method);
        return this.leave(body.workerId);
      default:
        return Promise.reject(new Error(`unknown method ${method}`));
    }
  }

  private notLeader(): NotLeader | null {
    const { isLeader, leader } = this.deps.leader();
    return isLeader ? null : { ok: false, code: 'not-leader', leader };
  }

  private async join(req: WorkerJoinRequest): Promise<WorkerJoinAnswer> {
    const result = await this.deps.propose({
      v: COMMAND_VERSION,
      kind: 'worker.join',
      id: req.workerId,
      api: req.api,
      clusterName: req.clusterName,
      vnodeCount: req.vnodeCount,
    });
    if (!result.ok) {
      const permanent =
        result.code === 'TREMOR_CLUSTER_NAME_MISMATCH' ||
        result.code === 'TREMOR_VNODE_COUNT_MISMATCH';
      return { ok: false, code: 'refused', reason: result.message, permanent };
    }
    this.deps.supervisor.heard(req.workerId);
    return { ok: true, revision: this.deps.machine.viewRevision };
  }

  private watch(since: number, waitMs: number): Promise<WorkerWatchAnswer> {
    const { machine } = this.deps;
    const answer = (): WorkerWatchAnswer => ({
      ok: true,
      view: buildWorkerView(machine.state, machine.viewRevision),
    });
    if (machine.viewRevision > since || waitMs === 0) return Promise.resolve(answer());
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve(answer());
      };
      const timer = setTimeout(done, waitMs);
      const unsubscribe = machine.onViewChange(() => {
        if (machine.viewRevision > since) done();
      });
    });
  }

  private async leave(workerId: string): Promise<WorkerLeaveAnswer> {
    const state: ReadonlyClusterState = this.deps.machine.state;
    const worker = state.workers.get(workerId);
    if (worker === undefined) return { ok: true, state: 'unknown', owned: 0 };
    if (worker.state === 'alive' || worker.state === 'suspect') {
      await this.deps.propose({
        v: COMMAND_VERSION,
        kind: 'worker.set-state',
        id: workerId,
        state: 'draining',
      });
    }
    const now = this.deps.machine.state;
    return {
      ok: true,
      state: now.workers.get(workerId)?.state ?? 'unknown',
      owned: vnodesOwnedBy(now, workerId).length,
    };
  }
}

function malformed(method: string): Promise<never> {
  return Promise.reject(new Error(`malformed ${method} request`));
}
