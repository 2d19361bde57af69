/**
 * Shared helpers for the placement tests: states built by hand, plans carried out by the real
 * state machine (so a plan `vnode.assign` would refuse fails the test, and previous owners are kept
 * exactly as the cluster keeps them), and the reference figures the plans are checked against.
 */
import { apply } from '../../src/cluster-state/apply';
import type { VnodeMove } from '../../src/cluster-state/commands';
import {
  createClusterState,
  type VnodeAssignment,
  type WorkerId,
  type WorkerStatus,
} from '../../src/cluster-state/state';
import { planPlacement, type PlacementInput } from '../../src/placement/placement';

/** Unowned, epoch 0, no history: a vnode as bootstrap leaves it. */
export const fresh = (count: number): VnodeAssignment[] =>
  Array.from({ length: count }, () => ({ owner: null, epoch: 0, previousOwners: [] }));

/** Vnodes owned as listed (null for unowned), epoch 0, no history. */
export const owned = (...owners: (WorkerId | null)[]): VnodeAssignment[] =>
  owners.map((owner) => ({ owner, epoch: 0, previousOwners: [] }));

export const workers = (
  states: Record<WorkerId, WorkerStatus>,
): Map<WorkerId, { state: WorkerStatus }> =>
  new Map(Object.entries(states).map(([id, state]) => [id, { state }]));

export const withState = (
  input: PlacementInput,
  id: WorkerId,
  state: WorkerStatus,
): Map<WorkerId, { state: WorkerStatus }> =>
  new Map([...input.workers].map(([w, v]) => [w, { state: w === id ? state : v.state }]));

/** Carries the moves out through `vnode.assign`; throws if the state machine refuses them. */
export function applyMoves(input: PlacementInput, moves: readonly VnodeMove[]): VnodeAssignment[] {
  const state = createClusterState();
  state.name = 'placement';
  state.vnodeCount = input.vnodes.length;
  state.vnodes.push(...input.vnodes);
  for (const [id, { state: status }] of input.workers) {
    state.workers.set(id, { id, api: `http://${id}`, state: status, joinedAt: 1 });
  }
  const result = apply(state, { v: 1, kind: 'vnode.assign', moves }, 1);
  if (!result.ok) throw new Error(`vnode.assign refused the plan: ${result.message}`);
  return state.vnodes;
}

/** Plans, then carries the plan out: the next state, and the plan. */
export function step(input: PlacementInput): { vnodes: VnodeAssignment[]; moves: VnodeMove[] } {
  const moves = planPlacement(input);
  return { vnodes: applyMoves(input, moves), moves };
}

export const aliveIds = (input: PlacementInput): WorkerId[] =>
  [...input.workers].filter(([, w]) => w.state === 'alive').map(([id]) => id);

export const isSuspect = (input: PlacementInput, owner: WorkerId | null): boolean =>
  owner !== null && input.workers.get(owner)?.state === 'suspect';

export function countOf(vnodes: readonly VnodeAssignment[], id: WorkerId): number {
  return vnodes.filter((v) => v.owner === id).length;
}

export const ownersOf = (vnodes: readonly VnodeAssignment[]): (WorkerId | null)[] =>
  vnodes.map((v) => v.owner);

/**
 * The fewest moves any valid plan needs, worked out by brute force rather than by the planner's
 * reasoning. A vnode stays put only if its owner is alive (or a suspect: suspects keep theirs) and
 * keeps it; an alive worker with c vnodes and a final share t keeps at most min(c, t) of them, and
 * can always keep that many. So the minimum is the pool minus the most that can be kept, maximised
 * over every way of choosing which workers end at the ceiling. With no alive worker, every vnode
 * that has an owner other than a suspect must be unassigned, and nothing else moves.
 */
export function minimumMoves(input: PlacementInput): number {
  const alive = aliveIds(input);
  const inPool = input.vnodes.filter((v) => !isSuspect(input, v.owner));
  if (alive.length === 0) return inPool.filter((v) => v.owner !== null).length;
  const floor = Math.floor(inPool.length / alive.length);
  const ceilings = inPool.length % alive.length;
  const counts = alive.map((id) => countOf(input.vnodes, id));
  let kept = -1;
  for (let mask = 0; mask < 1 << alive.length; mask++) {
    if (popCount(mask) !== ceilings) continue;
    const total = counts.reduce((sum, c, i) => sum + Math.min(c, floor + ((mask >> i) & 1)), 0);
    kept = Math.max(kept, total);
  }
  return inPool.length - kept;
}

function popCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n += 1;
  return n;
}
