/**
 * A worker's lifecycle as the replicated state records it.
 *
 *   worker.join      any state, or unknown ──▶ alive
 *   worker.set-state alive    ──▶ suspect | dead | draining
 *                    suspect  ──▶ alive | dead | draining
 *                    draining ──▶ dead
 *   worker.leave     any state ──▶ left (its vnodes are released)
 *
 * - `suspect` missed heartbeats but is not declared dead yet; it may recover.
 * - `dead` and `left` end only with a new join: placement moves a dead worker's vnodes away, and
 *   the worker must notice that (by joining again) before it is trusted with any.
 * - `draining` never returns to `alive` or `suspect` on its own: the drain completes (leave) or
 *   the worker goes silent and is declared dead directly.
 */
import type { WorkerStatus } from './state';

const ALLOWED: { readonly [From in WorkerStatus]: readonly WorkerStatus[] } = {
  alive: ['suspect', 'dead', 'draining'],
  suspect: ['alive', 'dead', 'draining'],
  draining: ['dead'],
  dead: [],
  left: [],
};

/** Whether `worker.set-state` may move a worker from `from` to `to` (not counting no-ops). */
export function canTransition(from: WorkerStatus, to: WorkerStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Only alive workers are given vnodes. */
export function isAssignable(state: WorkerStatus): boolean {
  return state === 'alive';
}
