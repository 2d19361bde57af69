/**
 * The answers of the routes the client commands read (CONTRACT §3), as the client relies on them.
 * Written out here rather than imported from the server's route schemas: the CLI talks to servers
 * of other releases too, and must only depend on what the contract promises.
 */

export interface CoordinatorView {
  readonly id: string;
  readonly address: string | null;
  readonly api: string | null;
  readonly role: string;
  readonly voter: boolean;
  readonly reachable: boolean;
}

export interface WorkerView {
  readonly id: string;
  readonly api: string;
  readonly state: string;
  readonly vnodes: readonly number[];
}

export interface ClusterView {
  readonly name: string | null;
  readonly vnodes: number;
  readonly leader: string | null;
  readonly term: number;
  readonly coordinators: readonly CoordinatorView[];
  readonly workers: readonly WorkerView[];
}

export interface VnodeView {
  readonly vnode: number;
  readonly owner: string | null;
  readonly epoch: number;
  /** Known only on the leader, which receives the workers' reports. */
  readonly backlog: number | null;
}

export type FlowStatus = 'running' | 'paused';

export interface Deployment {
  readonly workersReady: number;
  readonly workersTotal: number;
}

/** An entry of `GET /v1/flows`; `deployment` only if the server adds it there. */
export interface FlowSummary {
  readonly id: string;
  readonly status: FlowStatus;
  readonly revision?: number;
  readonly deployment?: Deployment;
}

export interface FlowView {
  readonly id: string;
  readonly spec: Record<string, unknown>;
  readonly status: FlowStatus;
  readonly revision?: number;
  readonly deployment: Deployment;
}
