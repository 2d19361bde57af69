/**
 * What workers and coordinators say to each other over the cluster transport. Workers send every
 * request to the coordinator they believe leads; a follower answers `not-leader` with the leader's
 * id, and the worker tries that one next. Bodies are checked on arrival: a peer may run another
 * release.
 */
import type { FlowStatus, WorkerStatus } from '../cluster-state/state';
import type { JsonObject } from '../cluster-state/json';

/** Join (or rejoin after being declared dead): the worker becomes `alive`. */
export const WORKER_JOIN = 'worker.join';
export interface WorkerJoinRequest {
  readonly workerId: string;
  readonly api: string;
  readonly clusterName: string;
  readonly vnodeCount: number;
}

/** "I am alive"; the answer carries the state the cluster holds for the worker. */
export const WORKER_HEARTBEAT = 'worker.heartbeat';
export interface WorkerHeartbeatRequest {
  readonly workerId: string;
  /** What the worker runs and holds, for status: see WorkerReport. */
  readonly report?: WorkerReport;
}

/** A worker's own account of itself, carried by its heartbeats; kept in memory by the leader. */
export interface WorkerReport {
  /** Flow id → the revision of the flow the worker runs. */
  readonly flows: Readonly<Record<string, number>>;
  /** Vnode (as a string) → events waiting in its streams, over every flow, for vnodes it owns. */
  readonly backlog: Readonly<Record<string, number>>;
}

/** Long poll: answered once the workers' view of the state is newer than `since`, or on timeout. */
export const WORKER_WATCH = 'worker.watch';
export interface WorkerWatchRequest {
  readonly since: number;
  /** How long the coordinator may hold the request; bounded by the coordinator. */
  readonly waitMs: number;
}

/** Graceful leave: the worker's vnodes are handed off (draining), then it is marked `left`. */
export const WORKER_LEAVE = 'worker.leave';
export interface WorkerLeaveRequest {
  readonly workerId: string;
}

export type NotLeader = {
  readonly ok: false;
  readonly code: 'not-leader';
  readonly leader: string | null;
};
export type Refused = {
  readonly ok: false;
  readonly code: 'refused';
  readonly reason: string;
  /** Retrying cannot help (another cluster name or vnode count); the worker should exit. */
  readonly permanent: boolean;
};

export type WorkerJoinAnswer =
  { readonly ok: true; readonly revision: number } | NotLeader | Refused;
export type WorkerHeartbeatAnswer =
  { readonly ok: true; readonly state: WorkerStatus | 'unknown' } | NotLeader;
export type WorkerWatchAnswer = { readonly ok: true; readonly view: WorkerView } | NotLeader;
export type WorkerLeaveAnswer =
  | { readonly ok: true; readonly state: WorkerStatus | 'unknown'; readonly owned: number }
  | NotLeader;

/** What a worker needs of the cluster state to reconcile: flows, vnodes, workers. */
export interface WorkerView {
  /** Changes whenever anything in the view changes (not on KV writes). */
  readonly revision: number;
  readonly vnodeCount: number;
  readonly flows: readonly {
    readonly id: string;
    readonly spec: JsonObject;
    readonly status: FlowStatus;
    readonly revision: number;
  }[];
  /** Indexed by vnode; `previous` is the owner before the current one. */
  readonly vnodes: readonly {
    readonly owner: string | null;
    readonly epoch: number;
    readonly previous: string | null;
  }[];
  readonly workers: readonly { readonly id: string; readonly state: WorkerStatus }[];
  /** Where a worker sends API requests it does not serve itself (the one answering is the leader). */
  readonly coordinators: readonly { readonly id: string; readonly api: string }[];
}

export function isWorkerJoinRequest(body: unknown): body is WorkerJoinRequest {
  const b = body as Partial<WorkerJoinRequest> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    nonEmpty(b.workerId) &&
    nonEmpty(b.api) &&
    typeof b.clusterName === 'string' &&
    Number.isInteger(b.vnodeCount)
  );
}

export function isWorkerIdRequest(body: unknown): body is { readonly workerId: string } {
  return (
    typeof body === 'object' && body !== null && nonEmpty((body as { workerId?: unknown }).workerId)
  );
}

/** A report as received: anything malformed is dropped, not trusted. */
export function reportOf(body: unknown): WorkerReport | null {
  const r = (body as { report?: unknown } | null)?.report as Partial<WorkerReport> | undefined;
  if (typeof r !== 'object' || r === null) return null;
  const numbers = (o: unknown): Record<string, number> | null => {
    if (typeof o !== 'object' || o === null) return null;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return null;
      Object.defineProperty(out, k, { value: v, enumerable: true });
    }
    return out;
  };
  const flows = numbers(r.flows);
  const backlog = numbers(r.backlog);
  return flows && backlog ? { flows, backlog } : null;
}

export function isWorkerWatchRequest(body: unknown): body is WorkerWatchRequest {
  const b = body as Partial<WorkerWatchRequest> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    Number.isInteger(b.since) &&
    typeof b.waitMs === 'number' &&
    b.waitMs >= 0
  );
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}
