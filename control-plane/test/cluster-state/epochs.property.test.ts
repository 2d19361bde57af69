/**
 * Property: epochs fence owners, so across any sequence of plans, departures and state changes,
 * a vnode's epoch goes up by exactly one whenever its owner changes and never otherwise, and a
 * plan made against an older epoch changes nothing.
 */
import fc from 'fast-check';
import type { SettableWorkerStatus } from '../../src/cluster-state/commands';
import type { VnodeAssignment } from '../../src/cluster-state/state';
import { concreteMoves, moveArb, WORKERS } from './arbitraries';
import { checkInvariants, cluster, cmd } from './fixtures';

const VNODES = 6;

const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(moveArb(VNODES - 1, 2), { minLength: 1, maxLength: 4 })
      .map((moves) => ({ t: 'assign' as const, moves })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...WORKERS),
        fc.constantFrom<SettableWorkerStatus>('alive', 'suspect', 'dead', 'draining'),
      )
      .map(([id, state]) => ({ t: 'other' as const, command: cmd.setState(id, state) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...WORKERS)
      .map((id) => ({ t: 'other' as const, command: cmd.leave(id) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...WORKERS)
      .map((id) => ({ t: 'other' as const, command: cmd.join(id, VNODES) })),
  },
);

describe('vnode epochs', () => {
  it('increase by one on every owner change, and only then', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60, size: 'max' }), (steps) => {
        const r = cluster(VNODES, WORKERS);
        for (const step of steps) {
          const before: readonly VnodeAssignment[] = [...r.state.vnodes];
          const stale = step.t === 'assign' && step.moves.some((m) => m.skew !== 0);
          const command =
            step.t === 'assign' ? cmd.assign(...concreteMoves(r.state, step.moves)) : step.command;
          const result = r.run(command);

          r.state.vnodes.forEach((after, vnode) => {
            const prior = before[vnode] as VnodeAssignment;
            if (after.owner === prior.owner) {
              expect(after).toBe(prior);
            } else {
              expect(after.epoch).toBe(prior.epoch + 1);
            }
          });
          if (stale) {
            // Some earlier move may be refused for another reason first; either way, nothing moves.
            expect(result.ok).toBe(false);
            expect(r.state.vnodes).toEqual(before);
          }
          if (result.ok && command.kind === 'vnode.assign' && 'moved' in result.data) {
            const changed = r.state.vnodes.flatMap((a, vnode) =>
              a.owner === before[vnode]?.owner ? [] : [vnode],
            );
            expect(result.data.moved.map((m) => m.vnode).sort((a, b) => a - b)).toEqual(changed);
          }
          checkInvariants(r.state);
        }
      }),
      { numRuns: 200 },
    );
  });
});
