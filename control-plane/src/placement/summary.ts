/**
 * How many vnodes each worker holds: what an operator wants to see to judge the balance.
 */
import { compareStrings } from '../cluster-state/order';
import type { VnodeAssignment, WorkerId } from '../cluster-state/state';

export interface PlacementSummary {
  /** Owners in id order; workers holding nothing are absent. */
  readonly counts: ReadonlyMap<WorkerId, number>;
  readonly unassigned: number;
}

export function placementSummary(vnodes: readonly VnodeAssignment[]): PlacementSummary {
  const counts = new Map<WorkerId, number>();
  let unassigned = 0;
  for (const { owner } of vnodes) {
    if (owner === null) unassigned += 1;
    else counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const ordered = new Map([...counts].sort(([a], [b]) => compareStrings(a, b)));
  return { counts: ordered, unassigned };
}
