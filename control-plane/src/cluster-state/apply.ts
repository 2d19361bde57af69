/**
 * The cluster state machine: `apply` runs one committed command against the state, in place.
 *
 * Every coordinator applies the same commands at the same indexes and must reach the same state
 * and give the same answers, so nothing here reads a clock, draws a random number or depends on
 * the iteration order of a map. Revisions are Raft indexes, which every replica agrees on.
 *
 * A command that cannot be carried out is refused with a typed result and changes nothing but the
 * applied revision; a well-formed command never makes `apply` throw. An index that does not move
 * forward is a broken invariant in the host and does throw.
 */
import type { Applied, ApplyResult, Command, CommandOf, VnodeMove, VnodeMoved } from './commands';
import { jsonEqual } from './json';
import { refuse, type Refusal } from './refusals';
import {
  MAX_VNODE_COUNT,
  PREVIOUS_OWNERS_KEPT,
  type ClusterState,
  type Flow,
  type VnodeAssignment,
  type Worker,
  type WorkerId,
} from './state';
import { canTransition, isAssignable } from './worker-lifecycle';

const UNASSIGNED: VnodeAssignment = Object.freeze({
  owner: null,
  epoch: 0,
  previousOwners: Object.freeze([]),
});

export function apply<C extends Command>(
  state: ClusterState,
  command: C,
  index: number,
): ApplyResult<C['kind']> {
  advanceRevision(state, index);
  return dispatch(state, command, index);
}

/**
 * Records an applied entry that carries no command (a new leader's empty entry, a membership
 * change, or bytes that did not decode), so reads waiting for that index are not kept waiting.
 */
export function advanceRevision(state: ClusterState, index: number): void {
  if (!Number.isSafeInteger(index) || index <= state.appliedRevision) {
    throw new Error(
      `cluster state: entry ${index} applied after ${state.appliedRevision}; the apply loop must move forward`,
    );
  }
  state.appliedRevision = index;
}

function dispatch(state: ClusterState, command: Command, index: number): ApplyResult {
  if (command.kind === 'bootstrap') return bootstrap(state, command);
  if (state.name === null) {
    return refuse('TREMOR_NOT_BOOTSTRAPPED', 'the cluster has not been bootstrapped yet', {});
  }
  switch (command.kind) {
    case 'coordinator.add':
      return addCoordinator(state, command);
    case 'coordinator.remove':
      return removeCoordinator(state, command);
    case 'worker.join':
      return joinWorker(state, state.name, command, index);
    case 'worker.leave':
      return leaveWorker(state, command);
    case 'worker.set-state':
      return setWorkerState(state, command, index);
    case 'vnode.assign':
      return assignVnodes(state, command);
    case 'flow.put':
      return putFlow(state, command, index);
    case 'flow.set-status':
      return setFlowStatus(state, command, index);
    case 'flow.delete':
      return deleteFlow(state, command);
    case 'kv.put':
      return putKv(state, command.key, command.value, index);
    case 'kv.cas':
      return casKv(state, command, index);
    case 'kv.delete':
      return { ok: true, data: { key: command.key, deleted: state.kv.delete(command.key) } };
    default:
      return unknownKind(command);
  }
}

/** Reached only by a caller that bypassed the types; answered like the codec would. */
function unknownKind(command: never): Refusal {
  const kind = String((command as { kind?: unknown }).kind);
  return refuse('TREMOR_COMMAND_UNKNOWN_KIND', `unknown command kind ${kind}`, { kind });
}

function bootstrap(state: ClusterState, c: CommandOf<'bootstrap'>): ApplyResult<'bootstrap'> {
  if (c.name === '') {
    return refuse('TREMOR_COMMAND_INVALID', 'the cluster name must not be empty', {
      reason: 'empty cluster name',
    });
  }
  if (!Number.isInteger(c.vnodeCount) || c.vnodeCount < 1 || c.vnodeCount > MAX_VNODE_COUNT) {
    return refuse('TREMOR_COMMAND_INVALID', `vnode count must be 1 to ${MAX_VNODE_COUNT}`, {
      reason: `vnode count ${c.vnodeCount} out of range`,
    });
  }
  if (state.name !== null) {
    // Repeating the same bootstrap is harmless, which lets every coordinator of a new cluster
    // propose it without first agreeing on who should.
    if (c.vnodeCount !== state.vnodeCount) {
      return refuse(
        'TREMOR_VNODES_FIXED',
        `the vnode count is fixed at ${state.vnodeCount}; cannot change it to ${c.vnodeCount}`,
        { current: state.vnodeCount, requested: c.vnodeCount },
      );
    }
    if (c.name !== state.name) {
      return refuse(
        'TREMOR_CLUSTER_NAME_MISMATCH',
        `the cluster is named ${state.name}, not ${c.name}`,
        { current: state.name, requested: c.name },
      );
    }
    return { ok: true, data: { name: c.name, vnodeCount: c.vnodeCount, changed: false } };
  }
  state.name = c.name;
  state.vnodeCount = c.vnodeCount;
  for (let v = 0; v < c.vnodeCount; v++) state.vnodes.push(UNASSIGNED);
  return { ok: true, data: { name: c.name, vnodeCount: c.vnodeCount, changed: true } };
}

function addCoordinator(
  state: ClusterState,
  c: CommandOf<'coordinator.add'>,
): ApplyResult<'coordinator.add'> {
  const existing = state.coordinators.get(c.id);
  if (existing !== undefined) {
    if (existing.address === c.address && existing.api === c.api) {
      return { ok: true, data: { coordinator: existing, changed: false } };
    }
    return refuse('TREMOR_COORDINATOR_EXISTS', `coordinator ${c.id} exists with other addresses`, {
      coordinator: existing,
    });
  }
  const coordinator = { id: c.id, address: c.address, api: c.api };
  state.coordinators.set(c.id, coordinator);
  return { ok: true, data: { coordinator, changed: true } };
}

function removeCoordinator(
  state: ClusterState,
  c: CommandOf<'coordinator.remove'>,
): ApplyResult<'coordinator.remove'> {
  const coordinator = state.coordinators.get(c.id);
  if (coordinator === undefined) {
    return refuse('TREMOR_COORDINATOR_NOT_FOUND', `no coordinator ${c.id}`, { id: c.id });
  }
  state.coordinators.delete(c.id);
  return { ok: true, data: { coordinator } };
}

function joinWorker(
  state: ClusterState,
  name: string,
  c: CommandOf<'worker.join'>,
  index: number,
): ApplyResult<'worker.join'> {
  if (c.clusterName !== name) {
    return refuse(
      'TREMOR_CLUSTER_NAME_MISMATCH',
      `worker ${c.id} belongs to cluster ${c.clusterName}; this cluster is ${name}`,
      { current: name, requested: c.clusterName },
    );
  }
  if (c.vnodeCount !== state.vnodeCount) {
    return refuse(
      'TREMOR_VNODE_COUNT_MISMATCH',
      `worker ${c.id} runs with ${c.vnodeCount} vnodes; the cluster has ${state.vnodeCount}`,
      { current: state.vnodeCount, requested: c.vnodeCount },
    );
  }
  const rejoined = state.workers.has(c.id);
  const worker: Worker = {
    id: c.id,
    api: c.api,
    state: 'alive',
    lastHeartbeatIndex: index,
    joinedAt: index,
  };
  state.workers.set(c.id, worker);
  return { ok: true, data: { worker, rejoined } };
}

function leaveWorker(
  state: ClusterState,
  c: CommandOf<'worker.leave'>,
): ApplyResult<'worker.leave'> {
  const current = state.workers.get(c.id);
  if (current === undefined) return workerNotFound(c.id);
  // Releasing here rather than trusting the drain to have moved everything keeps the invariant
  // that a `left` worker owns nothing; the epoch bump fences it if it is still running.
  const released: VnodeMoved[] = [];
  state.vnodes.forEach((assignment, vnode) => {
    if (assignment.owner === c.id) released.push(moveVnode(state, vnode, null));
  });
  const worker: Worker = current.state === 'left' ? current : { ...current, state: 'left' };
  state.workers.set(c.id, worker);
  return { ok: true, data: { worker, released } };
}

function setWorkerState(
  state: ClusterState,
  c: CommandOf<'worker.set-state'>,
  index: number,
): ApplyResult<'worker.set-state'> {
  const current = state.workers.get(c.id);
  if (current === undefined) return workerNotFound(c.id);
  if (current.state === c.state) return { ok: true, data: { worker: current, changed: false } };
  if (!canTransition(current.state, c.state)) {
    return refuse(
      'TREMOR_WORKER_INVALID_TRANSITION',
      `worker ${c.id} cannot go from ${current.state} to ${c.state}`,
      { id: c.id, from: current.state, to: c.state },
    );
  }
  const worker: Worker =
    c.state === 'alive'
      ? { ...current, state: c.state, lastHeartbeatIndex: index }
      : { ...current, state: c.state };
  state.workers.set(c.id, worker);
  return { ok: true, data: { worker, changed: true } };
}

/** All moves are checked before any is made: a plan is carried out whole or not at all. */
function assignVnodes(
  state: ClusterState,
  c: CommandOf<'vnode.assign'>,
): ApplyResult<'vnode.assign'> {
  const seen = new Set<number>();
  const changes: VnodeMove[] = [];
  for (const move of c.moves) {
    const current = Number.isInteger(move.vnode) ? state.vnodes[move.vnode] : undefined;
    if (current === undefined) {
      return refuse(
        'TREMOR_VNODE_OUT_OF_RANGE',
        `vnode ${move.vnode} does not exist; the cluster has ${state.vnodeCount}`,
        { vnode: move.vnode, vnodeCount: state.vnodeCount },
      );
    }
    if (seen.has(move.vnode)) {
      return refuse('TREMOR_COMMAND_INVALID', `vnode ${move.vnode} is moved twice in one batch`, {
        reason: `duplicate vnode ${move.vnode}`,
      });
    }
    seen.add(move.vnode);
    if (move.expectedEpoch !== current.epoch) {
      return refuse(
        'TREMOR_STALE_EPOCH',
        `vnode ${move.vnode} is at epoch ${current.epoch}, the plan expected ${move.expectedEpoch}`,
        { vnode: move.vnode, expected: move.expectedEpoch, current: current.epoch },
      );
    }
    if (move.owner === current.owner) continue;
    if (move.owner !== null) {
      const worker = state.workers.get(move.owner);
      if (worker === undefined) return workerNotFound(move.owner);
      if (!isAssignable(worker.state)) {
        return refuse(
          'TREMOR_WORKER_NOT_ASSIGNABLE',
          `worker ${move.owner} is ${worker.state} and cannot take vnode ${move.vnode}`,
          { id: move.owner, state: worker.state, vnode: move.vnode },
        );
      }
    }
    changes.push(move);
  }
  return { ok: true, data: { moved: changes.map((m) => moveVnode(state, m.vnode, m.owner)) } };
}

/** The only place an owner changes, so every change bumps the epoch. */
function moveVnode(state: ClusterState, vnode: number, owner: WorkerId | null): VnodeMoved {
  const current = state.vnodes[vnode] ?? UNASSIGNED;
  const from = current.owner;
  const earlier = current.previousOwners.filter((id) => id !== owner && id !== from);
  const previousOwners = (from === null ? earlier : [from, ...earlier]).slice(
    0,
    PREVIOUS_OWNERS_KEPT,
  );
  const epoch = current.epoch + 1;
  state.vnodes[vnode] = { owner, epoch, previousOwners };
  return { vnode, from, to: owner, epoch };
}

function workerNotFound(id: WorkerId): Refusal {
  return refuse('TREMOR_WORKER_NOT_FOUND', `no worker ${id}`, { id });
}

function putFlow(
  state: ClusterState,
  c: CommandOf<'flow.put'>,
  index: number,
): ApplyResult<'flow.put'> {
  const existing = state.flows.get(c.id);
  if (existing !== undefined && c.mode === 'create') {
    return refuse('TREMOR_FLOW_EXISTS', `flow ${c.id} already exists`, { id: c.id });
  }
  // Replacing a spec keeps the flow's status: a paused flow stays paused until resumed.
  const flow: Flow = {
    id: c.id,
    spec: c.spec,
    status: existing?.status ?? 'running',
    revision: index,
  };
  state.flows.set(c.id, flow);
  return { ok: true, data: { flow, created: existing === undefined } };
}

function setFlowStatus(
  state: ClusterState,
  c: CommandOf<'flow.set-status'>,
  index: number,
): ApplyResult<'flow.set-status'> {
  const current = state.flows.get(c.id);
  if (current === undefined) return flowNotFound(c.id);
  if (current.status === c.status) return { ok: true, data: { flow: current, changed: false } };
  const flow: Flow = { ...current, status: c.status, revision: index };
  state.flows.set(c.id, flow);
  return { ok: true, data: { flow, changed: true } };
}

function deleteFlow(state: ClusterState, c: CommandOf<'flow.delete'>): ApplyResult<'flow.delete'> {
  const flow = state.flows.get(c.id);
  if (flow === undefined) return flowNotFound(c.id);
  state.flows.delete(c.id);
  return { ok: true, data: { flow } };
}

function flowNotFound(id: string): Refusal {
  return refuse('TREMOR_FLOW_NOT_FOUND', `no flow ${id}`, { id });
}

function putKv(
  state: ClusterState,
  key: string,
  value: CommandOf<'kv.put'>['value'],
  index: number,
): Applied<'kv.put'> {
  state.kv.set(key, { value, revision: index });
  return { ok: true, data: { key, value, revision: index } };
}

function casKv(state: ClusterState, c: CommandOf<'kv.cas'>, index: number): ApplyResult<'kv.cas'> {
  const current = state.kv.get(c.key);
  const matches =
    c.expected === null
      ? current === undefined
      : current !== undefined && jsonEqual(current.value, c.expected);
  if (!matches) {
    return refuse('TREMOR_KV_CAS_FAILED', `key ${c.key} does not hold the expected value`, {
      key: c.key,
      current: current ?? null,
    });
  }
  return putKv(state, c.key, c.value, index);
}
