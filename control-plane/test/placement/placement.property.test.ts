/**
 * Properties of the placement over random states: any vnode count up to 256, up to 12 workers in
 * any state, owners that include unknown ids and nobody, and any history of previous owners. Each
 * plan is carried out by the real `vnode.assign`, so a plan the state machine would refuse fails.
 */
import fc from 'fast-check';
import type { VnodeAssignment, WorkerId, WorkerStatus } from '../../src/cluster-state/state';
import { planPlacement, type PlacementInput } from '../../src/placement/placement';
import { rendezvousWeight, workerSeed } from '../../src/placement/rendezvous';
import {
  aliveIds,
  applyMoves,
  countOf,
  fresh,
  isSuspect,
  minimumMoves,
  step,
  withState,
} from './fixtures';

const IDS = Array.from({ length: 12 }, (_, i) => `w${i}`);
/** Ids that own vnodes or appear in their history without being known workers. */
const STRANGERS = ['gone-a', 'gone-b'];
const RUNS = { numRuns: 300 };

const statusArb: fc.Arbitrary<WorkerStatus> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<WorkerStatus>('alive') },
  { weight: 1, arbitrary: fc.constantFrom<WorkerStatus>('suspect', 'dead', 'draining', 'left') },
);

const workersArb = fc
  .uniqueArray(fc.record({ id: fc.constantFrom(...IDS), state: statusArb }), {
    selector: (w) => w.id,
    maxLength: IDS.length,
    size: 'max',
  })
  .map((list) => new Map(list.map((w) => [w.id, { state: w.state }])));

const assignmentArb = (owners: readonly WorkerId[]): fc.Arbitrary<VnodeAssignment> =>
  fc.record({
    owner: fc.option(fc.constantFrom(...owners), { freq: 6 }),
    epoch: fc.nat(20),
    previousOwners: fc.uniqueArray(fc.constantFrom(...IDS, ...STRANGERS), { maxLength: 4 }),
  });

/** Owners drawn from a random few ids, so some states are far out of balance. */
const inputArb: fc.Arbitrary<PlacementInput> = fc
  .record({
    workers: workersArb,
    owners: fc.uniqueArray(fc.constantFrom(...IDS, ...STRANGERS), {
      minLength: 1,
      maxLength: IDS.length + STRANGERS.length,
      size: 'max',
    }),
    // Small counts reach the corner cases (fewer vnodes than workers); large ones, the figures.
    size: fc.constantFrom<fc.SizeForArbitrary>('small', 'max'),
  })
  .chain(({ workers, owners, size }) =>
    fc
      .array(assignmentArb(owners), { minLength: 1, maxLength: 256, size })
      .map((vnodes) => ({ vnodes, workers })),
  );

/**
 * States a running cluster reaches: a balanced assignment (the planner's own, so this leans on the
 * idempotence property), then workers joining, dying, draining and recovering all at once. Brand
 * new workers make over-full workers common, which random owners rarely give.
 */
const churnedArb: fc.Arbitrary<PlacementInput> = fc
  .tuple(inputArb, workersArb)
  .map(([input, changes]) => ({
    vnodes: step(input).vnodes,
    workers: new Map([...input.workers, ...changes]),
  }));

const anyArb = fc.oneof(inputArb, churnedArb);

const withAlive = (input: PlacementInput, id: WorkerId): PlacementInput => ({
  vnodes: input.vnodes,
  workers: new Map([...input.workers, [id, { state: 'alive' as const }]]),
});

/** The counts of the alive workers, which must be within one of each other. */
function spread(input: PlacementInput, vnodes: readonly VnodeAssignment[]): number {
  const counts = aliveIds(input).map((id) => countOf(vnodes, id));
  return counts.length === 0 ? 0 : Math.max(...counts) - Math.min(...counts);
}

describe('planPlacement', () => {
  it('leaves every vnode with an alive owner (or its suspect, or nobody on stand-by), balanced, in the fewest moves', () => {
    fc.assert(
      fc.property(anyArb, (input) => {
        const moves = planPlacement(input);
        const after = applyMoves(input, moves);
        const alive = new Set(aliveIds(input));

        const misplaced = after.flatMap((assignment, vnode) => {
          const before = input.vnodes[vnode] as VnodeAssignment;
          const ok = isSuspect(input, before.owner)
            ? assignment.owner === before.owner
            : alive.size === 0
              ? assignment.owner === null
              : assignment.owner !== null && alive.has(assignment.owner);
          return ok ? [] : [{ vnode, before: before.owner, after: assignment.owner }];
        });
        expect(misplaced).toEqual([]);
        expect(spread(input, after)).toBeLessThanOrEqual(1);
        expect(moves.length).toBe(minimumMoves(input));

        const noOps = moves.filter((m) => m.owner === input.vnodes[m.vnode]?.owner);
        expect(noOps).toEqual([]);
        expect(moves.map((m) => m.expectedEpoch)).toEqual(
          moves.map((m) => input.vnodes[m.vnode]?.epoch),
        );
        const order = moves.map((m) => m.vnode);
        expect(order).toEqual([...new Set(order)].sort((a, b) => a - b));
      }),
      RUNS,
    );
  });

  it('gives the same plan however the workers map is ordered', () => {
    const arb = anyArb.chain((input) =>
      fc
        .shuffledSubarray([...input.workers], {
          minLength: input.workers.size,
          maxLength: input.workers.size,
        })
        .map((entries) => ({ input, reordered: { ...input, workers: new Map(entries) } })),
    );
    fc.assert(
      fc.property(arb, ({ input, reordered }) => {
        expect(planPlacement(reordered)).toEqual(planPlacement(input));
      }),
      RUNS,
    );
  });

  it('has nothing more to do once its plan is carried out', () => {
    fc.assert(
      fc.property(anyArb, (input) => {
        const { vnodes } = step(input);
        expect(planPlacement({ ...input, vnodes })).toEqual([]);
      }),
      RUNS,
    );
  });

  it('moves only the fewest vnodes to a worker that joins a balanced cluster, and only to it', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const balanced = { ...input, vnodes: step(input).vnodes };
        const joined = withAlive(balanced, 'newcomer');
        const moves = planPlacement(joined);

        const pool = balanced.vnodes.filter((v) => !isSuspect(balanced, v.owner)).length;
        const share = Math.floor(pool / aliveIds(joined).length);
        expect(moves.length).toBe(share);
        expect(moves.length).toBe(minimumMoves(joined));
        expect(moves.filter((m) => m.owner !== 'newcomer')).toEqual([]);
        const fromSuspects = moves.filter((m) =>
          isSuspect(joined, (joined.vnodes[m.vnode] as VnodeAssignment).owner),
        );
        expect(fromSuspects).toEqual([]);
      }),
      RUNS,
    );
  });

  it("moves only a departed worker's vnodes when it leaves a balanced cluster", () => {
    const goneArb = fc.constantFrom<WorkerStatus>('dead', 'draining', 'left');
    fc.assert(
      fc.property(inputArb, fc.nat(), goneArb, (input, pick, gone) => {
        const balanced = { ...input, vnodes: step(input).vnodes };
        const alive = aliveIds(balanced);
        fc.pre(alive.length > 0);
        const id = alive[pick % alive.length] as WorkerId;
        const departed = { ...balanced, workers: withState(balanced, id, gone) };
        const moves = planPlacement(departed);

        expect(moves.filter((m) => departed.vnodes[m.vnode]?.owner !== id)).toEqual([]);
        expect(moves.length).toBe(countOf(balanced.vnodes, id));
      }),
      RUNS,
    );
  });

  /**
   * X holds `old` in a balanced cluster; nothing else remembers X. X dies and its vnodes are
   * spread, then X comes back. However the counts fall, X gets its own vnodes back first: it ends
   * with a subset of `old` if its new share is no bigger, or with all of `old` if it is bigger;
   * so with an unchanged share it gets back exactly `old`.
   */
  it('gives a worker that comes back its own vnodes first', () => {
    const X = 'w0';
    fc.assert(
      fc.property(inputArb, (generated) => {
        const input = withAlive(generated, X);
        const forgetX = (v: VnodeAssignment): VnodeAssignment => ({
          ...v,
          previousOwners: v.previousOwners.filter((id) => id !== X),
        });
        const s0 = { ...input, vnodes: step(input).vnodes.map(forgetX) };
        const s1 = {
          vnodes: step({ ...s0, workers: withState(s0, X, 'dead') }).vnodes,
          workers: s0.workers,
        };
        const s2 = step(s1).vnodes;

        const held = (vnodes: readonly VnodeAssignment[]): number[] =>
          vnodes.flatMap((v, vnode) => (v.owner === X ? [vnode] : []));
        const old = held(s0.vnodes);
        const now = held(s2);
        const kept = now.filter((vnode) => old.includes(vnode));
        expect(kept.length).toBe(Math.min(old.length, now.length));
        if (now.length === old.length) expect(now).toEqual(old);
        expect(spread(s1, s2)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  /**
   * Without previous owners to honour, pairs are taken by weight: no vnode could have gone to a
   * worker it weighs more for, unless that worker was filled with vnodes that weigh more for it.
   */
  it('spreads new vnodes by rendezvous weight', () => {
    const bootstrapArb = fc.record({
      count: fc.integer({ min: 1, max: 256 }),
      ids: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: IDS.length }),
    });
    fc.assert(
      fc.property(bootstrapArb, ({ count, ids }) => {
        const input = {
          vnodes: fresh(count),
          workers: new Map(ids.map((id) => [id, { state: 'alive' as const }])),
        };
        const after = step(input).vnodes;
        const seeds = new Map(ids.map((id) => [id, workerSeed(id)]));
        const weight = (id: WorkerId, vnode: number): number =>
          rendezvousWeight(seeds.get(id) ?? 0, vnode);
        const weakest = new Map(
          ids.map((id) => {
            const mine = after.flatMap((v, vnode) => (v.owner === id ? [weight(id, vnode)] : []));
            return [id, Math.min(...mine)];
          }),
        );
        const blocking = after.flatMap((v, vnode) =>
          ids
            .filter((id) => {
              const owner = v.owner as WorkerId;
              return (
                weight(id, vnode) > weight(owner, vnode) &&
                weight(id, vnode) > (weakest.get(id) ?? 0)
              );
            })
            .map((id) => ({ vnode, owner: v.owner, preferred: id })),
        );
        expect(blocking).toEqual([]);
      }),
      RUNS,
    );
  });

  it('unassigns every vnode not held by a suspect when no worker is alive', () => {
    const noneAlive = inputArb.map((input) => ({
      ...input,
      workers: new Map(
        [...input.workers].map(([id, w]) => [
          id,
          { state: w.state === 'alive' ? ('dead' as const) : w.state },
        ]),
      ),
    }));
    fc.assert(
      fc.property(noneAlive, (input) => {
        const moves = planPlacement(input);
        const after = applyMoves(input, moves);
        expect(moves.filter((m) => m.owner !== null)).toEqual([]);
        const wrong = after.flatMap((v, vnode) => {
          const before = (input.vnodes[vnode] as VnodeAssignment).owner;
          return v.owner === (isSuspect(input, before) ? before : null) ? [] : [vnode];
        });
        expect(wrong).toEqual([]);
        const owned = input.vnodes.filter((v) => v.owner !== null && !isSuspect(input, v.owner));
        expect(moves.length).toBe(owned.length);
      }),
      RUNS,
    );
  });
});
