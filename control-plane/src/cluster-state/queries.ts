/**
 * Reads of the cluster state for the API, the placement and the workers. Lookups by key are map
 * reads; listings come back in a fixed order so every coordinator answers a list the same way.
 */
import type { JsonValue } from './json';
import { valuesByKey } from './order';
import type {
  Coordinator,
  Flow,
  FlowId,
  ReadonlyClusterState,
  VnodeAssignment,
  Worker,
  WorkerId,
} from './state';

export interface KvRead {
  readonly key: string;
  readonly value: JsonValue;
  readonly revision: number;
}

export interface VnodeRead extends VnodeAssignment {
  readonly vnode: number;
}

export function getKv(state: ReadonlyClusterState, key: string): KvRead | undefined {
  const entry = state.kv.get(key);
  return entry === undefined ? undefined : { key, value: entry.value, revision: entry.revision };
}

export function getFlow(state: ReadonlyClusterState, id: FlowId): Flow | undefined {
  return state.flows.get(id);
}

/** Sorted by id. */
export function listFlows(state: ReadonlyClusterState): Flow[] {
  return valuesByKey(state.flows);
}

export function getWorker(state: ReadonlyClusterState, id: WorkerId): Worker | undefined {
  return state.workers.get(id);
}

/** Sorted by id; includes workers that left. */
export function listWorkers(state: ReadonlyClusterState): Worker[] {
  return valuesByKey(state.workers);
}

/** Sorted by id. */
export function listCoordinators(state: ReadonlyClusterState): Coordinator[] {
  return valuesByKey(state.coordinators);
}

/** In vnode order. */
export function listVnodes(state: ReadonlyClusterState): VnodeRead[] {
  return state.vnodes.map((assignment, vnode) => ({ vnode, ...assignment }));
}

/** The vnodes a worker owns, ascending. */
export function vnodesOwnedBy(state: ReadonlyClusterState, id: WorkerId): number[] {
  const owned: number[] = [];
  state.vnodes.forEach((assignment, vnode) => {
    if (assignment.owner === id) owned.push(vnode);
  });
  return owned;
}
