/**
 * Vnode placement: from the current assignment and the workers' states, the moves that make the
 * assignment valid and balanced. A pure function: no clock, no randomness, no I/O, and nothing
 * depends on the iteration order of the workers map, so a leader can plan again at any time and a
 * test can replay a plan exactly.
 *
 * The rules, most important first:
 *
 * 1. Only `alive` workers are given vnodes (`isAssignable`). A vnode that is unowned, or owned by a
 *    worker that is unknown, `dead`, `left` or `draining`, must move to an alive worker; a draining
 *    worker thereby hands over all its vnodes.
 * 2. A `suspect` worker keeps the vnodes it has and is given no new ones. It has only missed
 *    heartbeats: moving its vnodes now would cost two handoffs if it recovers, and their events
 *    wait in their streams meanwhile. Its vnodes are also outside the balance: the pool that is
 *    balanced is every vnode not held by a suspect, spread over the alive workers so that each holds
 *    floor(pool / alive) or ceil(pool / alive). When the suspect recovers, or is declared dead, its
 *    vnodes join the pool and the next plan evens out the counts again.
 * 3. No more moves than rules 1 and 2 need: each vnode of rule 1 moves once, and beyond those only
 *    the fewest vnodes from over-full to under-full workers. While some workers may hold the
 *    ceiling, the ones already above the floor keep one over it, since that saves a move.
 * 4. Which vnodes move, and where: a vnode goes back to the most recent of its previous owners that
 *    is still short of vnodes, so a worker that returns gets its own vnodes back, and an over-full
 *    worker gives up first the vnodes that someone wants back. Otherwise it goes to the receiver of
 *    highest rendezvous weight for it. The pairs (vnode, receiver) are taken best first over the
 *    whole plan (an earlier previous owner, then a higher weight), so neither the order of the map
 *    nor the order of worker ids decides anything; ids only break exact weight ties.
 * 5. With no alive worker, the vnodes that must move are unassigned (owner null): the epoch bump
 *    fences their former owner, and their events wait in the streams until a worker joins (the
 *    cluster's stand-by). Suspects keep theirs; unowned vnodes stay as they are.
 *
 * A plan never holds a move that would leave the owner unchanged. Each move carries the vnode's
 * current epoch, so a plan made against a state that has moved on since is refused whole by
 * `vnode.assign`.
 */
import type { VnodeMove } from '../cluster-state/commands';
import { compareStrings } from '../cluster-state/order';
import type { VnodeAssignment, WorkerId, WorkerStatus } from '../cluster-state/state';
import { isAssignable } from '../cluster-state/worker-lifecycle';
import { BinaryHeap } from './binary-heap';
import { rendezvousWeight, workerSeed } from './rendezvous';

export interface PlacementInput {
  /** The current assignment, indexed by vnode number. */
  readonly vnodes: readonly VnodeAssignment[];
  /** Every worker the state knows, whatever its state; an owner missing here counts as gone. */
  readonly workers: ReadonlyMap<WorkerId, { readonly state: WorkerStatus }>;
}

/** The moves to propose as one `vnode.assign`, in vnode order; empty when nothing needs to change. */
export function planPlacement(input: PlacementInput): VnodeMove[] {
  const alive = [...input.workers]
    .filter(([, worker]) => isAssignable(worker.state))
    .map(([id]) => id)
    .sort(compareStrings);
  const held = new Map<WorkerId, number[]>(alive.map((id) => [id, []]));
  const homeless: number[] = [];
  input.vnodes.forEach(({ owner }, vnode) => {
    const owned = owner === null ? undefined : held.get(owner);
    if (owned !== undefined) owned.push(vnode);
    else if (owner === null || input.workers.get(owner)?.state !== 'suspect') homeless.push(vnode);
  });

  const moves =
    alive.length === 0
      ? unassignAll(input.vnodes, homeless)
      : rebalance(input.vnodes, alive, held, homeless);
  return moves.sort((a, b) => a.vnode - b.vnode);
}

/** Stand-by: nowhere to put the vnodes, so fence their owners and let their events wait. */
function unassignAll(vnodes: readonly VnodeAssignment[], homeless: readonly number[]): VnodeMove[] {
  return homeless.flatMap((vnode) => {
    const current = at(vnodes, vnode);
    return current.owner === null ? [] : [{ vnode, owner: null, expectedEpoch: current.epoch }];
  });
}

/**
 * How many vnodes a worker must still give away (or take), and whether it may give (take) one
 * more from a pool of such extras shared with its peers. The pools are what leave the choice of
 * which workers end at the ceiling to the order in which pairs are taken.
 */
class Allowance {
  private extraTaken = false;

  constructor(
    private required: number,
    private readonly extras: { left: number },
  ) {}

  available(): boolean {
    return this.required > 0 || (!this.extraTaken && this.extras.left > 0);
  }

  take(): void {
    if (this.required > 0) {
      this.required -= 1;
    } else {
      this.extraTaken = true;
      this.extras.left -= 1;
    }
  }
}

interface Receiver {
  readonly id: WorkerId;
  readonly seed: number;
  readonly allowance: Allowance;
}

/** A vnode that moves (or may move), with the best receiver it could go to when last looked at. */
interface Candidate {
  readonly vnode: number;
  /** The over-full worker giving it up; null for a vnode that must move whatever happens. */
  readonly giver: Allowance | null;
  readonly previousOwners: readonly WorkerId[];
  /** Next index of `previousOwners` to try. */
  nextPrevious: number;
  /** Index in `previousOwners` of the current receiver, or NOT_PREVIOUS. */
  rank: number;
  receiver: Receiver;
  weight: number;
}

const NOT_PREVIOUS = Number.MAX_SAFE_INTEGER;

function rebalance(
  vnodes: readonly VnodeAssignment[],
  alive: readonly WorkerId[],
  held: ReadonlyMap<WorkerId, readonly number[]>,
  homeless: readonly number[],
): VnodeMove[] {
  const count = (id: WorkerId): number => held.get(id)?.length ?? 0;
  const pool = alive.reduce((sum, id) => sum + count(id), homeless.length);
  const floor = Math.floor(pool / alive.length);
  const ceilings = pool % alive.length;
  // Every worker above the floor keeps one vnode over it while ceilings last (rule 3); if there
  // are more such workers than ceilings, the rest give that vnode up too, and if there are fewer,
  // workers at or below the floor take one more.
  const overFull = alive.filter((id) => count(id) > floor);
  const extraGiven = { left: Math.max(0, overFull.length - ceilings) };
  const extraTaken = { left: Math.max(0, ceilings - overFull.length) };

  const receivers = new Map<WorkerId, Receiver>();
  for (const id of alive) {
    const short = floor - count(id);
    if (short > 0 || (short === 0 && extraTaken.left > 0)) {
      const allowance = new Allowance(Math.max(0, short), extraTaken);
      receivers.set(id, { id, seed: workerSeed(id), allowance });
    }
  }
  if (receivers.size === 0) return [];
  const receiverList = [...receivers.values()];

  /**
   * Points the candidate at its best receiver that still has room; false if there is none. Room
   * only ever shrinks, so a receiver passed over here is never worth coming back to, and the heap
   * always holds each candidate's best pair that may still be taken.
   */
  const aim = (c: Candidate): boolean => {
    while (c.nextPrevious < c.previousOwners.length) {
      const rank = c.nextPrevious++;
      const receiver = receivers.get(c.previousOwners[rank] as WorkerId);
      if (receiver !== undefined && receiver.allowance.available()) {
        c.rank = rank;
        c.receiver = receiver;
        c.weight = rendezvousWeight(receiver.seed, c.vnode);
        return true;
      }
    }
    let found = false;
    for (const receiver of receiverList) {
      if (!receiver.allowance.available()) continue;
      const weight = rendezvousWeight(receiver.seed, c.vnode);
      // Ids decide only between equal weights: something must, and map order may not.
      if (!found || weight > c.weight || (weight === c.weight && receiver.id < c.receiver.id)) {
        c.receiver = receiver;
        c.weight = weight;
        found = true;
      }
    }
    c.rank = NOT_PREVIOUS;
    return found;
  };

  const heap = new BinaryHeap<Candidate>(isBetterPair);
  const offer = (vnode: number, giver: Allowance | null): void => {
    const candidate: Candidate = {
      vnode,
      giver,
      previousOwners: at(vnodes, vnode).previousOwners,
      nextPrevious: 0,
      // Placeholders: `aim` sets all three before the candidate is used.
      rank: NOT_PREVIOUS,
      receiver: receiverList[0] as Receiver,
      weight: 0,
    };
    if (aim(candidate)) heap.push(candidate);
  };
  for (const vnode of homeless) offer(vnode, null);
  for (const id of overFull) {
    const giver = new Allowance(count(id) - floor - 1, extraGiven);
    for (const vnode of held.get(id) ?? []) offer(vnode, giver);
  }

  const moves: VnodeMove[] = [];
  for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
    // A giver that has given enough keeps the rest: they no longer move at all.
    if (c.giver !== null && !c.giver.available()) continue;
    if (!c.receiver.allowance.available()) {
      if (aim(c)) heap.push(c);
      continue;
    }
    c.receiver.allowance.take();
    c.giver?.take();
    moves.push({ vnode: c.vnode, owner: c.receiver.id, expectedEpoch: at(vnodes, c.vnode).epoch });
  }

  // The room the receivers have equals what must and may be given, so every pair finds its match;
  // anything left over is a bug here, and a plan that breaks rule 1 or 2 must not be proposed.
  const placed = new Set(moves.map((m) => m.vnode));
  const stranded = homeless.filter((vnode) => !placed.has(vnode));
  if (stranded.length > 0) {
    throw new Error(`placement left vnodes ${stranded.join(', ')} without an alive owner`);
  }
  const short = receiverList.filter((r) => r.allowance.available()).map((r) => r.id);
  if (short.length > 0) throw new Error(`placement left workers ${short.join(', ')} short`);
  return moves;
}

/** The order in which pairs are taken: earlier previous owner, then higher weight. */
function isBetterPair(a: Candidate, b: Candidate): boolean {
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.weight !== b.weight) return a.weight > b.weight;
  if (a.receiver.id !== b.receiver.id) return a.receiver.id < b.receiver.id;
  return a.vnode < b.vnode;
}

function at(vnodes: readonly VnodeAssignment[], vnode: number): VnodeAssignment {
  return vnodes[vnode] as VnodeAssignment;
}
