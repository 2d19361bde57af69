/**
 * The behaviour every `RaftStorage` shares, as one suite: `MemoryRaftStorage` and
 * `FileRaftStorage` both run it, so the twin the simulator uses cannot drift from the disk.
 * Every expectation on `load()` is checked again after a restart.
 */
import type { PersistedState } from '../../src/raft/types';
import { EMPTY, ents, hard, snap, type StorageFactory, type StorageUnderTest } from './fixtures';

export function describeRaftStorage(name: string, factory: StorageFactory): void {
  describe(`RaftStorage conformance: ${name}`, () => {
    let sut: StorageUnderTest;

    beforeEach(async () => {
      sut = await factory();
    });

    afterEach(async () => {
      await sut.dispose();
    });

    /** What `load()` returns now, and again after a restart. */
    async function expectLoads(expected: PersistedState): Promise<void> {
      expect(await sut.storage.load()).toEqual(expected);
      await sut.restart();
      expect(await sut.storage.load()).toEqual(expected);
    }

    it('starts empty', async () => {
      await expectLoads(EMPTY);
    });

    it('round-trips entries and hard state, data as plain Uint8Array', async () => {
      const entries = [
        ...ents(1, 2, 1),
        ...ents(3, 3, 1, 'conf'),
        { index: 4, term: 2, type: 'normal' as const, data: new Uint8Array(0) },
        { index: 5, term: 2, type: 'normal' as const, data: Uint8Array.from([0, 255, 7]) },
      ];
      await sut.storage.persist({ snapshot: null, entries, hardState: hard(2, 'b', 3) });
      await expectLoads({ hardState: hard(2, 'b', 3), snapshot: null, entries });
      for (const e of (await sut.storage.load()).entries) {
        expect(Object.getPrototypeOf(e.data)).toBe(Uint8Array.prototype);
      }
    });

    it('appends across persists', async () => {
      await sut.storage.persist({ snapshot: null, entries: ents(1, 3, 1), hardState: null });
      await sut.storage.persist({ snapshot: null, entries: ents(4, 6, 1), hardState: null });
      await expectLoads({ ...EMPTY, entries: ents(1, 6, 1) });
    });

    it('replaces a conflicting suffix from the first new entry on', async () => {
      await sut.storage.persist({ snapshot: null, entries: ents(1, 5, 1), hardState: null });
      await sut.storage.persist({ snapshot: null, entries: ents(3, 4, 2), hardState: null });
      await expectLoads({ ...EMPTY, entries: [...ents(1, 2, 1), ...ents(3, 4, 2)] });
      await sut.storage.persist({ snapshot: null, entries: ents(1, 1, 3), hardState: null });
      await expectLoads({ ...EMPTY, entries: ents(1, 1, 3) });
    });

    it('keeps the last hard state written; a Ready without one leaves it', async () => {
      await sut.storage.persist({ snapshot: null, entries: [], hardState: hard(1, 'a', 0) });
      await sut.storage.persist({
        snapshot: null,
        entries: ents(1, 1, 2),
        hardState: hard(2, 'b', 0),
      });
      await sut.storage.persist({ snapshot: null, entries: [], hardState: hard(2, 'b', 1) });
      await sut.storage.persist({ snapshot: null, entries: ents(2, 2, 2), hardState: null });
      await expectLoads({ hardState: hard(2, 'b', 1), snapshot: null, entries: ents(1, 2, 2) });
    });

    it('an empty Ready changes nothing', async () => {
      await sut.storage.persist({
        snapshot: null,
        entries: ents(1, 2, 1),
        hardState: hard(1, null, 1),
      });
      await sut.storage.persist({ snapshot: null, entries: [], hardState: null });
      await expectLoads({ hardState: hard(1, null, 1), snapshot: null, entries: ents(1, 2, 1) });
    });

    it('a snapshot from the leader replaces the log; entries after it follow', async () => {
      await sut.storage.persist({
        snapshot: null,
        entries: ents(1, 15, 1),
        hardState: hard(1, 'a', 3),
      });
      const s = snap(10, 2);
      await sut.storage.persist({
        snapshot: s,
        entries: ents(11, 12, 2),
        hardState: hard(2, null, 10),
      });
      await expectLoads({ hardState: hard(2, null, 10), snapshot: s, entries: ents(11, 12, 2) });
      await sut.storage.persist({ snapshot: null, entries: ents(13, 13, 2), hardState: null });
      await expectLoads({ hardState: hard(2, null, 10), snapshot: s, entries: ents(11, 13, 2) });
    });

    it('a snapshot beyond the whole log leaves no entries', async () => {
      await sut.storage.persist({ snapshot: null, entries: ents(1, 3, 1), hardState: null });
      const s = snap(20, 3);
      await sut.storage.persist({ snapshot: s, entries: [], hardState: hard(3, null, 20) });
      await expectLoads({ hardState: hard(3, null, 20), snapshot: s, entries: [] });
    });

    it('compaction drops the entries the snapshot covers and keeps later ones', async () => {
      await sut.storage.persist({
        snapshot: null,
        entries: ents(1, 10, 1),
        hardState: hard(1, 'a', 8),
      });
      const s = snap(6, 1);
      await sut.storage.compact(s);
      await expectLoads({ hardState: hard(1, 'a', 8), snapshot: s, entries: ents(7, 10, 1) });
      await sut.storage.persist({ snapshot: null, entries: ents(11, 12, 1), hardState: null });
      const s2 = snap(12, 1);
      await sut.storage.compact(s2);
      await expectLoads({ hardState: hard(1, 'a', 8), snapshot: s2, entries: [] });
      await sut.storage.persist({ snapshot: null, entries: ents(13, 13, 2), hardState: null });
      await expectLoads({ hardState: hard(1, 'a', 8), snapshot: s2, entries: ents(13, 13, 2) });
    });

    it('goes on from where a restart left it', async () => {
      await sut.storage.persist({
        snapshot: null,
        entries: ents(1, 4, 1),
        hardState: hard(1, 'a', 2),
      });
      await sut.restart();
      await sut.storage.persist({
        snapshot: null,
        entries: ents(4, 5, 2),
        hardState: hard(2, 'b', 3),
      });
      await sut.restart();
      await sut.storage.compact(snap(3, 1));
      await sut.restart();
      await sut.storage.persist({ snapshot: null, entries: ents(6, 6, 2), hardState: null });
      await expectLoads({
        hardState: hard(2, 'b', 3),
        snapshot: snap(3, 1),
        entries: [...ents(4, 5, 2), ...ents(6, 6, 2)],
      });
    });

    it('applies calls issued without waiting in the order they were issued', async () => {
      const done = [
        sut.storage.persist({ snapshot: null, entries: ents(1, 3, 1), hardState: hard(1, 'a', 0) }),
        sut.storage.persist({ snapshot: null, entries: ents(3, 5, 2), hardState: hard(2, 'b', 2) }),
        sut.storage.compact(snap(2, 1)),
        sut.storage.persist({ snapshot: null, entries: ents(6, 6, 2), hardState: null }),
      ];
      await Promise.all(done);
      await expectLoads({
        hardState: hard(2, 'b', 2),
        snapshot: snap(2, 1),
        entries: ents(3, 6, 2),
      });
    });

    it('refuses a batch that would leave a hole or is not contiguous, and stays usable', async () => {
      await expect(
        sut.storage.persist({ snapshot: null, entries: ents(2, 2, 1), hardState: null }),
      ).rejects.toThrow(/hole/);
      await sut.storage.persist({ snapshot: null, entries: ents(1, 3, 1), hardState: null });
      await expect(
        sut.storage.persist({ snapshot: null, entries: ents(5, 6, 1), hardState: null }),
      ).rejects.toThrow(/hole/);
      await expect(
        sut.storage.persist({
          snapshot: null,
          entries: [...ents(4, 4, 1), ...ents(6, 6, 1)],
          hardState: null,
        }),
      ).rejects.toThrow(/contiguous/);
      await sut.storage.persist({ snapshot: null, entries: ents(4, 4, 1), hardState: null });
      await expectLoads({ ...EMPTY, entries: ents(1, 4, 1) });
      // Once a compaction has dropped every entry, the log continues right after the snapshot.
      await sut.storage.compact(snap(4, 1));
      await expect(
        sut.storage.persist({ snapshot: null, entries: ents(6, 6, 1), hardState: null }),
      ).rejects.toThrow(/hole/);
      await sut.storage.persist({ snapshot: null, entries: ents(5, 5, 1), hardState: null });
      await expectLoads({ ...EMPTY, snapshot: snap(4, 1), entries: ents(5, 5, 1) });
    });
  });
}
