/**
 * Generators for the property tests. Ids come from small pools so that commands collide (the same
 * worker joins twice, a flow is paused after it was deleted) and refusals are as common as
 * successes. Steps that depend on the state (a plan's expected epochs, a compare-and-set against
 * the current value) are drawn abstractly and made concrete against the state they meet, as a
 * planner or a client would; the concrete commands are then what gets replayed.
 */
import fc from 'fast-check';
import type { Command, VnodeMove } from '../../src/cluster-state/commands';
import type { JsonObject, JsonValue } from '../../src/cluster-state/json';
import type { ReadonlyClusterState } from '../../src/cluster-state/state';
import { CLUSTER, cmd } from './fixtures';

export const WORKERS = ['w1', 'w2', 'w3', 'w4'];
const COORDINATORS = ['c1', 'c2'];
const FLOWS = ['f1', 'f2', 'f3'];
const KEYS = ['a', 'b', 'c'];
const VNODE_COUNTS = [4, 6];

/** JSON as it arrives over HTTP: parsed from text, so -0 and undefined never appear. */
export const jsonValue: fc.Arbitrary<JsonValue> = fc
  .json({ maxDepth: 3, stringUnit: 'grapheme' })
  .map((text) => JSON.parse(text) as JsonValue);

export const jsonObject: fc.Arbitrary<JsonObject> = fc
  .dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), jsonValue, { maxKeys: 4 })
  .map((object) => JSON.parse(JSON.stringify(object)) as JsonObject);

const small = <T>(values: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
const worker = small(WORKERS);
const flow = small(FLOWS);
const key = small(KEYS);

export interface AbstractMove {
  readonly vnode: number;
  readonly owner: string | null;
  /** 0 plans against the current epoch; anything else makes the move stale. */
  readonly skew: number;
}

export type Step =
  | { readonly t: 'command'; readonly command: Command }
  | { readonly t: 'assign'; readonly moves: readonly AbstractMove[] }
  | { readonly t: 'cas-current'; readonly key: string; readonly value: JsonValue }
  | { readonly t: 'join'; readonly id: string; readonly mismatch: 'none' | 'count' | 'name' };

export const moveArb = (maxVnode: number, staleWeight: number): fc.Arbitrary<AbstractMove> =>
  fc.record({
    vnode: fc.integer({ min: 0, max: maxVnode }),
    owner: fc.option(worker, { freq: 5 }),
    skew: fc.oneof(
      { weight: 10, arbitrary: fc.constant(0) },
      { weight: staleWeight, arbitrary: fc.constantFrom(-1, 1) },
    ),
  });

const command = (arb: fc.Arbitrary<Command>): fc.Arbitrary<Step> =>
  arb.map((c) => ({ t: 'command' as const, command: c }));

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: command(
      fc
        .tuple(small(VNODE_COUNTS), small([CLUSTER, 'other']))
        .map(([n, name]) => cmd.bootstrap(n, name)),
    ),
  },
  {
    weight: 1,
    arbitrary: command(
      fc
        .tuple(small(COORDINATORS), small(['x:8139', 'y:8139']))
        .map(([id, address]) => cmd.addCoordinator(id, address)),
    ),
  },
  { weight: 1, arbitrary: command(small(COORDINATORS).map((id) => cmd.removeCoordinator(id))) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('join' as const),
      id: worker,
      mismatch: fc.constantFrom<'none' | 'count' | 'name'>(
        'none',
        'none',
        'none',
        'none',
        'count',
        'name',
      ),
    }),
  },
  { weight: 1, arbitrary: command(worker.map((id) => cmd.leave(id))) },
  {
    weight: 3,
    arbitrary: command(
      fc
        .tuple(worker, small(['alive', 'suspect', 'dead', 'draining'] as const))
        .map(([id, state]) => cmd.setState(id, state)),
    ),
  },
  {
    weight: 6,
    arbitrary: fc
      .array(moveArb(6, 1), { maxLength: 4 })
      .map((moves) => ({ t: 'assign' as const, moves })),
  },
  {
    weight: 2,
    arbitrary: command(
      fc
        .tuple(flow, jsonObject, small(['create', 'upsert'] as const))
        .map(([id, spec, mode]) => cmd.putFlow(id, spec, mode)),
    ),
  },
  {
    weight: 2,
    arbitrary: command(
      fc
        .tuple(flow, small(['running', 'paused'] as const))
        .map(([id, status]) => cmd.setFlowStatus(id, status)),
    ),
  },
  { weight: 1, arbitrary: command(flow.map((id) => cmd.deleteFlow(id))) },
  {
    weight: 3,
    arbitrary: command(fc.tuple(key, jsonValue).map(([k, value]) => cmd.kvPut(k, value))),
  },
  {
    weight: 2,
    arbitrary: command(
      fc
        .tuple(key, fc.option(jsonValue, { freq: 2 }), jsonValue)
        .map(([k, expected, value]) => cmd.kvCas(k, expected, value)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, jsonValue)
      .map(([k, value]) => ({ t: 'cas-current' as const, key: k, value })),
  },
  { weight: 1, arbitrary: command(key.map((k) => cmd.kvDelete(k))) },
);

/** A script: bootstrap first most of the time, then steps, each with the gap to its index. */
export const scriptArb = fc.record({
  bootstrap: fc.option(small(VNODE_COUNTS), { freq: 8 }),
  steps: fc.array(fc.record({ step: stepArb, gap: fc.integer({ min: 1, max: 3 }) }), {
    maxLength: 60,
    size: 'max',
  }),
});

export function concreteMoves(
  state: ReadonlyClusterState,
  moves: readonly AbstractMove[],
): VnodeMove[] {
  return moves.map((m) => {
    const epoch = state.vnodes[m.vnode]?.epoch ?? 0;
    // A skew below epoch 0 would not be a valid command; stale from the other side instead.
    const expectedEpoch = epoch + m.skew < 0 ? epoch + 1 : epoch + m.skew;
    return { vnode: m.vnode, owner: m.owner, expectedEpoch };
  });
}

export function concrete(state: ReadonlyClusterState, step: Step): Command {
  switch (step.t) {
    case 'command':
      return step.command;
    case 'assign':
      return cmd.assign(...concreteMoves(state, step.moves));
    case 'cas-current':
      return cmd.kvCas(step.key, state.kv.get(step.key)?.value ?? null, step.value);
    case 'join': {
      const count = state.vnodeCount === 0 ? 4 : state.vnodeCount;
      if (step.mismatch === 'count') return cmd.join(step.id, count + 1);
      return cmd.join(step.id, count, step.mismatch === 'name' ? 'other' : CLUSTER);
    }
  }
}
