/**
 * Shared helpers for the cluster state tests: a state with its own index counter, command
 * builders, and the invariants every reachable state must keep.
 */
import { apply } from '../../src/cluster-state/apply';
import type {
  ApplyData,
  ApplyResult,
  Command,
  CommandKind,
  FlowPutMode,
  SettableWorkerStatus,
  VnodeMove,
} from '../../src/cluster-state/commands';
import type { JsonObject, JsonValue } from '../../src/cluster-state/json';
import type { Refusal, RefusalCode, RefusalOf } from '../../src/cluster-state/refusals';
import {
  createClusterState,
  PREVIOUS_OWNERS_KEPT,
  type ClusterState,
  type FlowStatus,
  type ReadonlyClusterState,
} from '../../src/cluster-state/state';

export const CLUSTER = 'tremor';

export const cmd = {
  bootstrap: (vnodeCount = 8, name = CLUSTER) =>
    ({ v: 1, kind: 'bootstrap', name, vnodeCount }) as const,
  addCoordinator: (id: string, address = `${id}:8139`, api = `http://${id}:9898`) =>
    ({ v: 1, kind: 'coordinator.add', id, address, api }) as const,
  removeCoordinator: (id: string) => ({ v: 1, kind: 'coordinator.remove', id }) as const,
  join: (id: string, vnodeCount = 8, clusterName = CLUSTER, api = `http://${id}:9898`) =>
    ({ v: 1, kind: 'worker.join', id, api, clusterName, vnodeCount }) as const,
  leave: (id: string) => ({ v: 1, kind: 'worker.leave', id }) as const,
  setState: (id: string, state: SettableWorkerStatus) =>
    ({ v: 1, kind: 'worker.set-state', id, state }) as const,
  assign: (...moves: VnodeMove[]) => ({ v: 1, kind: 'vnode.assign', moves }) as const,
  putFlow: (id: string, spec: JsonObject = { id }, mode: FlowPutMode = 'upsert') =>
    ({ v: 1, kind: 'flow.put', id, spec, mode }) as const,
  setFlowStatus: (id: string, status: FlowStatus) =>
    ({ v: 1, kind: 'flow.set-status', id, status }) as const,
  deleteFlow: (id: string) => ({ v: 1, kind: 'flow.delete', id }) as const,
  kvPut: (key: string, value: JsonValue) => ({ v: 1, kind: 'kv.put', key, value }) as const,
  kvCas: (key: string, expected: JsonValue, value: JsonValue) =>
    ({ v: 1, kind: 'kv.cas', key, expected, value }) as const,
  kvDelete: (key: string) => ({ v: 1, kind: 'kv.delete', key }) as const,
};

/** A state and the Raft index its next command is applied at. */
export class Replica {
  readonly state: ClusterState = createClusterState();
  index = 0;

  run<C extends Command>(command: C): ApplyResult<C['kind']> {
    this.index += 1;
    return apply(this.state, command, this.index);
  }

  ok<C extends Command>(command: C): ApplyData[C['kind']] {
    return expectOk(this.run(command));
  }

  refused<C extends RefusalCode>(command: Command, code: C): RefusalOf<C> {
    return expectRefused(this.run(command), code);
  }
}

/** A bootstrapped replica with the given workers joined, all alive. */
export function cluster(vnodeCount = 8, workers: readonly string[] = []): Replica {
  const replica = new Replica();
  replica.ok(cmd.bootstrap(vnodeCount));
  for (const id of workers) replica.ok(cmd.join(id, vnodeCount));
  return replica;
}

export function expectOk<K extends CommandKind>(result: ApplyResult<K>): ApplyData[K] {
  if (!result.ok) throw new Error(`refused: ${result.code} ${result.message}`);
  return result.data;
}

export function expectRefused<C extends RefusalCode>(
  result: ApplyResult | Refusal | { ok: true },
  code: C,
): RefusalOf<C> {
  expect(result).toMatchObject({ ok: false, code });
  return result as RefusalOf<C>;
}

/**
 * What apply maintains for every reachable state; checked after every step of the property
 * tests, since placement and the workers rely on it. Plain checks with one `expect` at the end:
 * thousands of matcher calls per run would dominate the test's time.
 */
export function invariantViolations(state: ReadonlyClusterState): string[] {
  const violations: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) violations.push(what);
  };
  check(state.vnodes.length === state.vnodeCount, 'one assignment per vnode');
  state.vnodes.forEach((a, vnode) => {
    if (a.owner !== null) {
      const owner = state.workers.get(a.owner);
      check(owner !== undefined, `vnode ${vnode}: owner is a known worker`);
      // Leave releases a worker's vnodes.
      check(owner?.state !== 'left', `vnode ${vnode}: owner has not left`);
      check(a.epoch > 0, `vnode ${vnode}: an owned vnode has been moved at least once`);
    }
    check(!a.previousOwners.includes(a.owner as string), `vnode ${vnode}: owner not previous`);
    check(new Set(a.previousOwners).size === a.previousOwners.length, `vnode ${vnode}: unique`);
    check(a.previousOwners.length <= PREVIOUS_OWNERS_KEPT, `vnode ${vnode}: bounded history`);
    check(
      a.previousOwners.every((id) => state.workers.has(id)),
      `vnode ${vnode}: previous owners are known workers`,
    );
  });
  for (const [key, entry] of state.kv) {
    check(entry.revision <= state.appliedRevision, `kv ${key}: revision not in the future`);
  }
  for (const flow of state.flows.values()) {
    check(flow.revision <= state.appliedRevision, `flow ${flow.id}: revision not in the future`);
  }
  return violations;
}

export function checkInvariants(state: ReadonlyClusterState): void {
  const violations = invariantViolations(state);
  if (violations.length > 0) expect(violations).toEqual([]);
}
