/**
 * The replicated cluster state: what every coordinator holds after applying the same committed
 * commands. `apply.ts` is the only writer; everything else reads it through `ReadonlyClusterState`.
 *
 * Records held in the state are never mutated once stored: a change stores a new record. Results
 * and API readers may therefore keep references to them without copying.
 */
import type { JsonObject, JsonValue } from './json';

export type CoordinatorId = string;
export type WorkerId = string;
export type FlowId = string;

/** The most vnodes a cluster may have: the assignment is one array entry per vnode. */
export const MAX_VNODE_COUNT = 65_536;

/**
 * How many earlier owners each vnode remembers. A worker that comes back after its vnodes moved
 * on should get them back; a few generations cover a worker flapping while others churn too.
 */
export const PREVIOUS_OWNERS_KEPT = 4;

export interface Coordinator {
  readonly id: CoordinatorId;
  /** Cluster transport address, `host:port`. */
  readonly address: string;
  /** Base URL of its HTTP API. */
  readonly api: string;
}

/** Lifecycle and allowed transitions: see `worker-lifecycle.ts`. */
export type WorkerStatus = 'alive' | 'suspect' | 'dead' | 'draining' | 'left';

export interface Worker {
  readonly id: WorkerId;
  readonly api: string;
  readonly state: WorkerStatus;
  /**
   * Raft index of the last command that proved the worker alive (its join, or a return to
   * `alive`). Heartbeats themselves stay off the log; this gives a new leader a starting point.
   */
  readonly lastHeartbeatIndex?: number;
  /** Revision of the worker's latest join. */
  readonly joinedAt: number;
}

export interface VnodeAssignment {
  readonly owner: WorkerId | null;
  /** Bumped on every owner change; the fence that keeps a former owner from writing. */
  readonly epoch: number;
  /** Earlier owners, most recent first, without the current one, at most PREVIOUS_OWNERS_KEPT. */
  readonly previousOwners: readonly WorkerId[];
}

export type FlowStatus = 'running' | 'paused';

export interface Flow {
  readonly id: FlowId;
  /** Validated before it is proposed; the state machine only stores it. */
  readonly spec: JsonObject;
  readonly status: FlowStatus;
  /** Revision of the flow's last change (spec or status). */
  readonly revision: number;
}

export interface KvEntry {
  readonly value: JsonValue;
  readonly revision: number;
}

export interface ClusterState {
  /** Null until the bootstrap command is applied. */
  name: string | null;
  /** 0 until bootstrap; never changes afterwards. */
  vnodeCount: number;
  readonly coordinators: Map<CoordinatorId, Coordinator>;
  /** Workers are never forgotten: a departed one keeps state `left` so it can come back. */
  readonly workers: Map<WorkerId, Worker>;
  /** Indexed by vnode number; `vnodeCount` entries once bootstrapped. */
  readonly vnodes: VnodeAssignment[];
  readonly flows: Map<FlowId, Flow>;
  readonly kv: Map<string, KvEntry>;
  /** Raft index of the last applied entry, whether it changed anything or was refused. */
  appliedRevision: number;
}

export interface ReadonlyClusterState {
  readonly name: string | null;
  readonly vnodeCount: number;
  readonly coordinators: ReadonlyMap<CoordinatorId, Coordinator>;
  readonly workers: ReadonlyMap<WorkerId, Worker>;
  readonly vnodes: readonly VnodeAssignment[];
  readonly flows: ReadonlyMap<FlowId, Flow>;
  readonly kv: ReadonlyMap<string, KvEntry>;
  readonly appliedRevision: number;
}

export function createClusterState(): ClusterState {
  return {
    name: null,
    vnodeCount: 0,
    coordinators: new Map(),
    workers: new Map(),
    vnodes: [],
    flows: new Map(),
    kv: new Map(),
    appliedRevision: 0,
  };
}
