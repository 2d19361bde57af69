/**
 * Properties of the whole state machine over random command sequences:
 *
 * - determinism: the same commands at the same indexes give the same results and the same state,
 *   byte for byte, including when every command goes through the Raft entry codec first;
 * - snapshots: a snapshot taken at any point, restored, then fed the rest of the commands, ends
 *   exactly where the uninterrupted run ended, with the same results on the way;
 * - every reachable state keeps the invariants in `checkInvariants`.
 */
import fc from 'fast-check';
import { apply } from '../../src/cluster-state/apply';
import { decodeCommand, encodeCommand, restore, snapshot } from '../../src/cluster-state/codec';
import type { ApplyResult, Command } from '../../src/cluster-state/commands';
import { createClusterState, type ClusterState } from '../../src/cluster-state/state';
import { concrete, scriptArb } from './arbitraries';
import { checkInvariants, cmd } from './fixtures';

type ScriptValue = typeof scriptArb extends fc.Arbitrary<infer S> ? S : never;

interface Run {
  readonly commands: Command[];
  readonly indexes: number[];
  readonly results: ApplyResult[];
  readonly state: ClusterState;
}

function runScript(script: ScriptValue): Run {
  const state = createClusterState();
  const run: Run = { commands: [], indexes: [], results: [], state };
  let index = 0;
  const steps =
    script.bootstrap === null
      ? script.steps
      : [
          { step: { t: 'command' as const, command: cmd.bootstrap(script.bootstrap) }, gap: 1 },
          ...script.steps,
        ];
  for (const { step, gap } of steps) {
    const command = concrete(state, step);
    index += gap;
    run.commands.push(command);
    run.indexes.push(index);
    run.results.push(apply(state, command, index));
    checkInvariants(state);
  }
  return run;
}

function replay(
  state: ClusterState,
  run: Run,
  from: number,
  to: number,
  wire = false,
): ApplyResult[] {
  const results: ApplyResult[] = [];
  for (let i = from; i < to; i++) {
    let command = run.commands[i] as Command;
    if (wire) {
      const decoded = decodeCommand(encodeCommand(command));
      if (!decoded.ok) throw new Error(`codec refused ${command.kind}: ${decoded.code}`);
      command = decoded.command;
    }
    results.push(apply(state, command, run.indexes[i] as number));
  }
  return results;
}

describe('cluster state machine properties', () => {
  it('is deterministic, through the entry codec too', () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        const reference = runScript(script);
        const n = reference.commands.length;
        const bytes = snapshot(reference.state);

        const again = createClusterState();
        expect(replay(again, reference, 0, n)).toStrictEqual(reference.results);
        expect(snapshot(again)).toEqual(bytes);

        const wired = createClusterState();
        expect(replay(wired, reference, 0, n, true)).toStrictEqual(reference.results);
        expect(snapshot(wired)).toEqual(bytes);
        expect(wired).toStrictEqual(reference.state);
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from a snapshot taken anywhere exactly as the uninterrupted run', () => {
    fc.assert(
      fc.property(scriptArb, fc.nat(), (script, cutSeed) => {
        const reference = runScript(script);
        const n = reference.commands.length;
        const cut = cutSeed % (n + 1);

        const before = createClusterState();
        replay(before, reference, 0, cut);
        const bytes = snapshot(before);
        const restored = restore(bytes);
        expect(restored).toStrictEqual(before);
        expect(snapshot(restored)).toEqual(bytes);

        expect(replay(restored, reference, cut, n)).toStrictEqual(reference.results.slice(cut));
        expect(restored).toStrictEqual(reference.state);
        expect(snapshot(restored)).toEqual(snapshot(reference.state));
      }),
      { numRuns: 150 },
    );
  });

  it('reaches every kind of result often enough to mean something', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(scriptArb, (script) => {
        const run = runScript(script);
        run.results.forEach((result, i) => {
          const kind = (run.commands[i] as Command).kind;
          seen.add(result.ok ? `${kind}:ok` : result.code);
          if (result.ok && 'moved' in result.data && result.data.moved.length > 0) {
            seen.add('vnode.assign:moved');
          }
          if (result.ok && 'released' in result.data && result.data.released.length > 0) {
            seen.add('worker.leave:released');
          }
        });
      }),
      { numRuns: 150, seed: 42 },
    );
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'TREMOR_CLUSTER_NAME_MISMATCH',
        'TREMOR_FLOW_EXISTS',
        'TREMOR_FLOW_NOT_FOUND',
        'TREMOR_KV_CAS_FAILED',
        'TREMOR_STALE_EPOCH',
        'TREMOR_VNODES_FIXED',
        'TREMOR_VNODE_COUNT_MISMATCH',
        'TREMOR_WORKER_INVALID_TRANSITION',
        'TREMOR_WORKER_NOT_ASSIGNABLE',
        'kv.cas:ok',
        'vnode.assign:moved',
        'worker.leave:released',
      ]),
    );
  });
});
