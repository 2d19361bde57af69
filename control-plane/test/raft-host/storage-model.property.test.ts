/**
 * Property: any sequence of persists and compactions a Raft host could issue leaves
 * `FileRaftStorage` loading exactly what `MemoryRaftStorage` loads, after every step and after
 * reopening the directory. Tiny segments make rollovers and segment deletion part of most runs.
 *
 * Operations are drawn abstractly and made concrete against the current state, so every call is
 * one the core could make: appends start at most one past the log and never inside the snapshot,
 * compactions stay within the stored entries.
 */
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import type { Entry, HardState, PersistedState, Ready, Snapshot } from '../../src/raft/types';
import { MemoryRaftStorage } from '../../src/raft-host/memory-raft-storage';
import { FileRaftStorage } from '../../src/raft-host/wal';
import { tempDir } from './fixtures';

type Op =
  | {
      readonly t: 'append';
      readonly back: number;
      readonly data: readonly Uint8Array[];
      readonly bump: boolean;
      readonly withHard: boolean;
    }
  | { readonly t: 'hard'; readonly bump: boolean; readonly vote: string | null }
  | {
      readonly t: 'install';
      readonly ahead: number;
      readonly follow: number;
      readonly voters: readonly string[];
      readonly data: Uint8Array;
    }
  | { readonly t: 'compact'; readonly at: number; readonly data: Uint8Array }
  | { readonly t: 'restart' };

const bytes = fc.uint8Array({ maxLength: 48 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      back: fc.nat({ max: 4 }),
      data: fc.array(bytes, { minLength: 1, maxLength: 4 }),
      bump: fc.boolean(),
      withHard: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('hard' as const),
      bump: fc.boolean(),
      vote: fc.constantFrom(null, 'a', 'b'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('install' as const),
      ahead: fc.nat({ max: 8 }),
      follow: fc.nat({ max: 3 }),
      voters: fc.subarray(['a', 'b', 'c'], { minLength: 1 }),
      data: bytes,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('compact' as const), at: fc.nat(), data: bytes }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
);

type Call =
  | { readonly kind: 'persist'; readonly rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'> }
  | { readonly kind: 'compact'; readonly snapshot: Snapshot }
  | { readonly kind: 'restart' };

/** Turns an abstract operation into a call the core could make in `state`, or null if none fits. */
function concretize(op: Op, state: PersistedState): Call | null {
  const hs = state.hardState;
  const snapIndex = state.snapshot?.meta.index ?? 0;
  const lastIndex = state.entries.at(-1)?.index ?? snapIndex;
  const termAt = (index: number): number =>
    state.entries.find((e) => e.index === index)?.term ?? state.snapshot?.meta.term ?? 0;
  switch (op.t) {
    case 'append': {
      const first = Math.max(snapIndex + 1, lastIndex + 1 - op.back);
      const term = Math.max(hs.term, termAt(first - 1)) + (op.bump ? 1 : 0);
      const entries: Entry[] = op.data.map((data, i) => ({
        index: first + i,
        term,
        type: i % 3 === 2 ? 'conf' : 'normal',
        data,
      }));
      const hardState: HardState | null = op.withHard
        ? { term, vote: hs.vote, commit: Math.min(hs.commit, first - 1) }
        : null;
      return { kind: 'persist', rd: { snapshot: null, entries, hardState } };
    }
    case 'hard':
      return {
        kind: 'persist',
        rd: {
          snapshot: null,
          entries: [],
          hardState: { term: hs.term + (op.bump ? 1 : 0), vote: op.vote, commit: hs.commit },
        },
      };
    case 'install': {
      const index = snapIndex + 1 + op.ahead;
      const term = Math.max(hs.term, termAt(lastIndex));
      const snapshot: Snapshot = {
        meta: { index, term, conf: { voters: [...op.voters], learners: [] } },
        data: op.data,
      };
      const entries: Entry[] = Array.from({ length: op.follow }, (_, i) => ({
        index: index + 1 + i,
        term,
        type: 'normal',
        data: Uint8Array.of(i),
      }));
      return {
        kind: 'persist',
        rd: { snapshot, entries, hardState: { ...hs, term, commit: index } },
      };
    }
    case 'compact': {
      const first = state.entries[0];
      if (first === undefined) return null;
      const index = first.index + (op.at % state.entries.length);
      return {
        kind: 'compact',
        snapshot: {
          meta: { index, term: termAt(index), conf: { voters: ['a'], learners: [] } },
          data: op.data,
        },
      };
    }
    case 'restart':
      return { kind: 'restart' };
  }
}

describe('FileRaftStorage against MemoryRaftStorage', () => {
  it('loads the same PersistedState after every operation and after reopening', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 10, maxLength: 60 }),
        fc.integer({ min: 48, max: 320 }),
        async (ops, segmentBytes) => {
          const dir = await tempDir();
          let file = await FileRaftStorage.open(dir, { segmentBytes });
          let memory = new MemoryRaftStorage();
          try {
            for (const op of ops) {
              const call = concretize(op, await memory.load());
              if (call === null) continue;
              switch (call.kind) {
                case 'persist':
                  await memory.persist(call.rd);
                  await file.persist(call.rd);
                  break;
                case 'compact':
                  await memory.compact(call.snapshot);
                  await file.compact(call.snapshot);
                  break;
                case 'restart':
                  memory = new MemoryRaftStorage(await memory.load());
                  await file.close();
                  file = await FileRaftStorage.open(dir, { segmentBytes });
                  break;
              }
              expect(await file.load()).toEqual(await memory.load());
            }
            await file.close();
            file = await FileRaftStorage.open(dir, { segmentBytes });
            expect(await file.load()).toEqual(await memory.load());
          } finally {
            await file.close();
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
