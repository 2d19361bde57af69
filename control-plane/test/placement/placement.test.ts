/**
 * Worked examples of the placement rules, small enough to check by hand. Which of several equal
 * vnodes a worker gets is left to the rendezvous weights, so the examples assert counts and the
 * vnodes the rules themselves pin down.
 */
import type { VnodeAssignment, WorkerId } from '../../src/cluster-state/state';
import { planPlacement } from '../../src/placement/placement';
import { placementSummary } from '../../src/placement/summary';
import {
  applyMoves,
  fresh,
  minimumMoves,
  owned,
  ownersOf,
  step,
  withState,
  workers,
} from './fixtures';

const counts = (vnodes: readonly VnodeAssignment[]): Record<WorkerId, number> =>
  Object.fromEntries(placementSummary(vnodes).counts);

const ownedBy = (vnodes: readonly VnodeAssignment[], id: WorkerId): number[] =>
  vnodes.flatMap((v, vnode) => (v.owner === id ? [vnode] : []));

describe('planPlacement', () => {
  it('spreads 8 new vnodes over 3 workers as 3, 3 and 2', () => {
    const input = { vnodes: fresh(8), workers: workers({ a: 'alive', b: 'alive', c: 'alive' }) };
    const { vnodes, moves } = step(input);
    expect(moves).toHaveLength(8);
    expect(moves.every((m) => m.expectedEpoch === 0)).toBe(true);
    expect(Object.values(counts(vnodes)).sort()).toEqual([2, 3, 3]);
    expect(vnodes.every((v) => v.epoch === 1)).toBe(true);
  });

  it('moves 2 of 8 vnodes to a fourth worker, one from each worker that had 3', () => {
    const input = {
      vnodes: owned('a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'),
      workers: workers({ a: 'alive', b: 'alive', c: 'alive', d: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves).toHaveLength(2);
    expect(moves.every((m) => m.owner === 'd')).toBe(true);
    expect(moves.map((m) => input.vnodes[m.vnode]?.owner)).toEqual(['a', 'b']);
    expect(counts(vnodes)).toEqual({ a: 2, b: 2, c: 2, d: 2 });
  });

  it("moves only a dead worker's vnodes, to two different workers, and gives them back when it returns", () => {
    const balanced = {
      vnodes: owned('a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'),
      workers: workers({ a: 'alive', b: 'alive', c: 'alive', d: 'alive' }),
    };
    const deadD = { ...balanced, workers: withState(balanced, 'd', 'dead') };
    const afterDeath = step(deadD);
    expect(afterDeath.moves.map((m) => m.vnode)).toEqual([6, 7]);
    expect(new Set(afterDeath.moves.map((m) => m.owner)).size).toBe(2);
    expect(Object.values(counts(afterDeath.vnodes)).sort()).toEqual([2, 3, 3]);
    expect(afterDeath.vnodes[6]?.previousOwners).toEqual(['d']);

    const back = step({ vnodes: afterDeath.vnodes, workers: balanced.workers });
    expect(back.moves.map((m) => [m.vnode, m.owner])).toEqual([
      [6, 'd'],
      [7, 'd'],
    ]);
    expect(ownersOf(back.vnodes)).toEqual(ownersOf(balanced.vnodes));
  });

  it('lets an over-full worker keep one over the floor rather than move another vnode', () => {
    // 7 vnodes over 3 workers: 3, 2, 2. Making a or b the one with 3 costs 2 moves; c, 3.
    const input = {
      vnodes: owned('a', 'a', 'a', 'a', 'b', 'b', 'b'),
      workers: workers({ a: 'alive', b: 'alive', c: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves).toHaveLength(2);
    expect(minimumMoves(input)).toBe(2);
    expect(counts(vnodes).c).toBe(2);
  });

  it('leaves a suspect its vnodes, gives it none, and balances the rest over the alive workers', () => {
    // s holds 4 of 10; the other 6 are the pool: 3 each for a and b.
    const input = {
      vnodes: owned('s', 's', 's', 's', 'a', 'a', 'a', 'a', 'a', 'a'),
      workers: workers({ s: 'suspect', a: 'alive', b: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves).toHaveLength(3);
    expect(moves.every((m) => m.owner === 'b' && m.vnode >= 4)).toBe(true);
    expect(counts(vnodes)).toEqual({ a: 3, b: 3, s: 4 });
    expect(ownedBy(vnodes, 's')).toEqual([0, 1, 2, 3]);
  });

  it('does not count a suspect in the balance', () => {
    const input = {
      vnodes: owned('s', 'a', 'a', 'a', 'b', 'b', 'b'),
      workers: workers({ s: 'suspect', a: 'alive', b: 'alive' }),
    };
    expect(planPlacement(input)).toEqual([]);
  });

  it("spreads a suspect's vnodes once it is declared dead", () => {
    const input = {
      vnodes: owned('s', 's', 's', 'a', 'b'),
      workers: workers({ s: 'dead', a: 'alive', b: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves.map((m) => m.vnode)).toEqual([0, 1, 2]);
    expect(Object.values(counts(vnodes)).sort()).toEqual([2, 3]);
  });

  it('has a draining worker give all its vnodes away', () => {
    const input = {
      vnodes: owned('d', 'd', 'd', 'a'),
      workers: workers({ d: 'draining', a: 'alive', b: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves.map((m) => m.vnode)).toEqual([0, 1, 2]);
    expect(counts(vnodes)).toEqual({ a: 2, b: 2 });
  });

  it('moves unowned vnodes and those of unknown or departed workers', () => {
    const input = {
      vnodes: owned(null, 'ghost', 'gone', 'a'),
      workers: workers({ gone: 'left', a: 'alive', b: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves.map((m) => m.vnode)).toEqual([0, 1, 2]);
    expect(counts(vnodes)).toEqual({ a: 2, b: 2 });
  });

  it('waits on stand-by with no alive worker: unassigns, but leaves suspects and unowned vnodes be', () => {
    const input = {
      vnodes: [
        { owner: 'dead', epoch: 3, previousOwners: [] },
        { owner: 'suspect', epoch: 2, previousOwners: [] },
        { owner: null, epoch: 5, previousOwners: ['dead'] },
        { owner: 'draining', epoch: 1, previousOwners: [] },
        { owner: 'left', epoch: 0, previousOwners: [] },
        { owner: 'ghost', epoch: 7, previousOwners: [] },
      ],
      workers: workers({ dead: 'dead', suspect: 'suspect', draining: 'draining', left: 'left' }),
    };
    expect(planPlacement(input)).toEqual([
      { vnode: 0, owner: null, expectedEpoch: 3 },
      { vnode: 3, owner: null, expectedEpoch: 1 },
      { vnode: 4, owner: null, expectedEpoch: 0 },
      { vnode: 5, owner: null, expectedEpoch: 7 },
    ]);
  });

  it('gives a vnode to its most recent previous owner that has room', () => {
    const history = (previousOwners: WorkerId[]): VnodeAssignment => ({
      owner: 'x',
      epoch: 4,
      previousOwners,
    });
    const input = {
      vnodes: [history(['x', 'b', 'a']), history(['c', 'a', 'b']), ...owned('b', 'b')],
      workers: workers({ x: 'dead', a: 'alive', b: 'alive', c: 'left' }),
    };
    // b already holds 2 of the 4: it has no room, so both go to a, whatever the weights say.
    expect(planPlacement(input)).toEqual([
      { vnode: 0, owner: 'a', expectedEpoch: 4 },
      { vnode: 1, owner: 'a', expectedEpoch: 4 },
    ]);
    const roomForB = { ...input, vnodes: input.vnodes.slice(0, 3) };
    expect(planPlacement(roomForB)).toEqual([
      { vnode: 0, owner: 'b', expectedEpoch: 4 },
      { vnode: 1, owner: 'a', expectedEpoch: 4 },
    ]);
  });

  it('has an over-full worker give up first the vnodes someone wants back', () => {
    const input = {
      vnodes: [
        ...owned('a', 'a', 'a'),
        { owner: 'a', epoch: 1, previousOwners: ['b'] },
        { owner: 'a', epoch: 1, previousOwners: ['c', 'b'] },
        ...owned('a'),
      ],
      workers: workers({ a: 'alive', b: 'alive' }),
    };
    const { vnodes, moves } = step(input);
    expect(moves.map((m) => [m.vnode, m.owner])).toContainEqual([3, 'b']);
    expect(moves.map((m) => [m.vnode, m.owner])).toContainEqual([4, 'b']);
    expect(counts(vnodes)).toEqual({ a: 3, b: 3 });
  });

  it('answers the same plan however the workers map is ordered', () => {
    const vnodes = fresh(64);
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
    const forward = new Map(ids.map((id) => [id, { state: 'alive' as const }]));
    const backward = new Map([...forward].reverse());
    expect(planPlacement({ vnodes, workers: backward })).toEqual(
      planPlacement({ vnodes, workers: forward }),
    );
  });

  it('plans nothing for a balanced, valid assignment', () => {
    const input = {
      vnodes: owned('a', 'b', 'c', 'a', 'b'),
      workers: workers({ a: 'alive', b: 'alive', c: 'alive' }),
    };
    expect(planPlacement(input)).toEqual([]);
  });

  it('is accepted by vnode.assign, epochs and all', () => {
    const input = {
      vnodes: [
        { owner: 'a', epoch: 9, previousOwners: [] },
        { owner: 'a', epoch: 3, previousOwners: [] },
      ],
      workers: workers({ a: 'alive', b: 'alive' }),
    };
    const moves = planPlacement(input);
    expect(moves).toHaveLength(1);
    const moved = moves[0]?.vnode ?? -1;
    const after = applyMoves(input, moves);
    expect(after[moved]).toEqual({
      owner: 'b',
      epoch: (input.vnodes[moved]?.epoch ?? 0) + 1,
      previousOwners: ['a'],
    });
  });
});

describe('placementSummary', () => {
  it('counts the vnodes of each owner, in id order, and the unassigned ones', () => {
    const summary = placementSummary(owned('b', null, 'a', 'b', null, 'c'));
    expect([...summary.counts]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ]);
    expect(summary.unassigned).toBe(2);
  });
});
