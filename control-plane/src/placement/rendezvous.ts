/**
 * Rendezvous (highest random weight) hashing: every (worker, vnode) pair has a weight, and a vnode
 * with no better reason to go anywhere goes to the receiver that weighs most for it. The weights
 * depend on the worker's id and the vnode number only, so a choice never depends on the order in
 * which workers are listed, and adding or removing a worker leaves the weights of the others
 * as they were, so their choices between each other do not change.
 *
 * A plan may weigh every vnode against every receiver (65,536 vnodes × tens of workers at the
 * most), so the id is hashed once per worker and each pair costs two murmur3 finalizer rounds.
 */
import type { WorkerId } from '../cluster-state/state';
import { fmix32, hash32 } from '../hash/murmur3';

/** The per-worker half of the weight; hash it once and reuse it for every vnode. */
export function workerSeed(id: WorkerId): number {
  return hash32(id);
}

/** The weight of a pair, an unsigned 32-bit integer; higher wins. */
export function rendezvousWeight(seed: number, vnode: number): number {
  return fmix32(seed ^ fmix32(vnode));
}
