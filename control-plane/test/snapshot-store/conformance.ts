/**
 * The behaviour every `SnapshotStore` shares, as one suite: memory, file and DynamoDB all run it,
 * so the twin the other tests use cannot drift from the real stores.
 */
import type { Snapshot } from '../../src/raft/types';
import type { SnapshotStore } from '../../src/snapshot-store/snapshot-store';
import { bytes, expectSameSnapshot, MB, snap } from './fixtures';

/** A store's backing (a map, a directory, a table) and ways to look at it from outside. */
export interface StoreHarness {
  /** A new store instance on the same backing: another coordinator, or this one restarted. */
  open(clusterName: string): SnapshotStore;
  /** Damages one byte of the data of the cluster's latest snapshot, where it is stored. */
  corruptLatest(clusterName: string): Promise<void>;
  /** Records, files or items the backing holds for the cluster. */
  storedUnits(clusterName: string): Promise<number>;
  /** What one snapshot with `dataBytes` of data occupies. */
  unitsFor(dataBytes: number): number;
  /** Removes the backing. */
  dispose(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

export function describeSnapshotStoreConformance(name: string, factory: HarnessFactory): void {
  describe(`SnapshotStore conformance: ${name}`, () => {
    let h: StoreHarness;
    let opened: SnapshotStore[];

    const open = (cluster = 'c1'): SnapshotStore => {
      const store = h.open(cluster);
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      h = await factory();
      opened = [];
    });

    afterEach(async () => {
      for (const s of opened) await s.close();
      await h.dispose();
    });

    it('an empty store has no latest snapshot', async () => {
      expect(await open().latest()).toBeNull();
      expect(await h.storedUnits('c1')).toBe(0);
    });

    it('round-trips meta and bytes exactly, data as a plain Uint8Array', async () => {
      const store = open();
      const s = snap(42, 7, 1000, { voters: ['n1', 'n2', 'n3'], learners: ['n4', 'n5'] });
      expect(await store.save(s)).toBe(true);
      const got = await store.latest();
      expect(got).toEqual(s);
      expect(Object.getPrototypeOf(got?.data)).toBe(Uint8Array.prototype);
    });

    it('round-trips a multi-chunk snapshot of about 2 MB', async () => {
      const store = open();
      const s = snap(9, 3, 2 * MB + 12345);
      expect(await store.save(s)).toBe(true);
      expectSameSnapshot(await store.latest(), s);
      expect(await h.storedUnits('c1')).toBe(h.unitsFor(s.data.length));
    });

    it('round-trips a snapshot with empty data and empty learners', async () => {
      const store = open();
      const s = snap(1, 1, 0, { voters: ['only'], learners: [] });
      expect(await store.save(s)).toBe(true);
      expect(await store.latest()).toEqual(s);
      expect(await open().latest()).toEqual(s);
    });

    it('stores a copy: changing buffers after save or after latest changes nothing', async () => {
      const store = open();
      const s = snap(5, 1, 100);
      const original = new Uint8Array(s.data);
      await store.save(s);
      s.data[0] = (s.data[0] ?? 0) ^ 0xff;
      const first = await store.latest();
      expect(first?.data).toEqual(original);
      if (first) first.data[1] = (first.data[1] ?? 0) ^ 0xff;
      expect((await store.latest())?.data).toEqual(original);
    });

    it('a higher index replaces a lower one', async () => {
      const store = open();
      expect(await store.save(snap(3))).toBe(true);
      expect(await store.save(snap(4, 2, 300))).toBe(true);
      expect(await store.latest()).toEqual(snap(4, 2, 300));
    });

    it('an older snapshot never replaces a newer one, whatever its term', async () => {
      const store = open();
      expect(await store.save(snap(7, 1))).toBe(true);
      expect(await store.save(snap(6, 1))).toBe(false);
      expect(await store.save(snap(2, 9))).toBe(false);
      expect(await store.latest()).toEqual(snap(7, 1));
      expect(await h.storedUnits('c1')).toBe(h.unitsFor(64));
    });

    it('an equal index is not saved again', async () => {
      const store = open();
      const first = snap(5, 1, 100);
      const second = { meta: first.meta, data: bytes(200, 99) };
      expect(await store.save(first)).toBe(true);
      expect(await store.save(second)).toBe(false);
      expect(await open().save(second)).toBe(false);
      expect(await store.latest()).toEqual(first);
      expect(await h.storedUnits('c1')).toBe(h.unitsFor(100));
    });

    it('with instances racing on one cluster, the highest index wins and nothing is left over', async () => {
      const stores = Array.from({ length: 5 }, () => open());
      const size = 400 * 1024;
      for (const base of [0, 10, 20]) {
        // Started in one tick, in an order where the winner is neither first nor last.
        const order = [3, 1, 5, 2, 4];
        const results = await Promise.all(
          stores.map((store, k) => store.save(snap(base + (order[k] ?? 0), 1, size))),
        );
        expect(results[order.indexOf(5)]).toBe(true);
        expectSameSnapshot(await open().latest(), snap(base + 5, 1, size));
        expect(await h.storedUnits('c1')).toBe(h.unitsFor(size));
      }
    });

    it('two instances racing at one index: exactly one wins, and it is what is read', async () => {
      const a = open();
      const b = open();
      const sa = { meta: snap(30).meta, data: bytes(350 * 1024, 1) };
      const sb = { meta: snap(30).meta, data: bytes(350 * 1024, 2) };
      const [ra, rb] = await Promise.all([a.save(sa), b.save(sb)]);
      expect([ra, rb].filter(Boolean)).toHaveLength(1);
      expectSameSnapshot(await open().latest(), ra ? sa : sb);
      expect(await h.storedUnits('c1')).toBe(h.unitsFor(350 * 1024));
    });

    it('another instance reads what one wrote, and a reopened store sees the latest', async () => {
      const a = open();
      await a.save(snap(3));
      expect(await open().latest()).toEqual(snap(3));
      await a.close();
      const c = open();
      expect(await c.latest()).toEqual(snap(3));
      expect(await c.save(snap(4))).toBe(true);
      expect(await open().latest()).toEqual(snap(4));
    });

    it('cluster names are isolated, also when one is a prefix of another', async () => {
      const names = ['alpha', 'beta', 'alpha.beta', 'alpha#x', 'al/pha', 'ålpha €'];
      for (const [i, n] of names.entries()) await open(n).save(snap(10 + i, 1, 500));
      for (const [i, n] of names.entries()) {
        expect(await open(n).latest()).toEqual(snap(10 + i, 1, 500));
        expect(await h.storedUnits(n)).toBe(h.unitsFor(500));
      }
      // Saving and collecting in one cluster leaves the others alone.
      expect(await open('alpha').save(snap(100, 1, 700 * 1024))).toBe(true);
      expect(await open('alpha').save(snap(5))).toBe(false);
      for (const [i, n] of names.entries()) {
        if (n === 'alpha') continue;
        expect(await open(n).latest()).toEqual(snap(10 + i, 1, 500));
        expect(await h.storedUnits(n)).toBe(h.unitsFor(500));
      }
      expect(await open('gamma').latest()).toBeNull();
    });

    it('collects superseded snapshots', async () => {
      const store = open();
      const sizes = [2 * MB, 700 * 1024, 10, 0, 1];
      for (const [i, size] of sizes.entries()) {
        expect(await store.save(snap(i + 1, 1, size))).toBe(true);
        expect(await h.storedUnits('c1')).toBe(h.unitsFor(size));
      }
    });

    it('a corrupted latest snapshot is reported as TREMOR_SNAPSHOT_CORRUPT, never returned', async () => {
      const store = open();
      await store.save(snap(1, 1, 100));
      await store.save(snap(2, 1, 700 * 1024));
      await h.corruptLatest('c1');
      await expect(store.latest()).rejects.toMatchObject({ code: 'TREMOR_SNAPSHOT_CORRUPT' });
      await expect(open().latest()).rejects.toMatchObject({ code: 'TREMOR_SNAPSHOT_CORRUPT' });
      // A newer snapshot heals the store.
      expect(await store.save(snap(3, 1, 100))).toBe(true);
      expect(await store.latest()).toEqual(snap(3, 1, 100));
    });

    it('refuses work after close with TREMOR_SNAPSHOT_STORE_CLOSED', async () => {
      const store = open();
      await store.save(snap(1));
      await store.close();
      await store.close();
      const closed = { code: 'TREMOR_SNAPSHOT_STORE_CLOSED' };
      await expect(store.save(snap(2))).rejects.toMatchObject(closed);
      await expect(store.latest()).rejects.toMatchObject(closed);
      expect(await open().latest()).toEqual(snap(1));
    });

    it('close waits for a save in flight', async () => {
      const store = open();
      let result: boolean | undefined;
      const saving = store.save(snap(1, 1, MB)).then((r) => (result = r));
      await store.close();
      expect(result).toBe(true);
      await saving;
      expectSameSnapshot(await open().latest(), snap(1, 1, MB));
    });

    it('rejects a snapshot whose index or term is not a non-negative integer', async () => {
      const store = open();
      const bad = (index: number, term: number): Snapshot => ({
        ...snap(1),
        meta: { ...snap(1).meta, index, term },
      });
      await expect(store.save(bad(-1, 1))).rejects.toThrow(TypeError);
      await expect(store.save(bad(1.5, 1))).rejects.toThrow(TypeError);
      await expect(store.save(bad(1, NaN))).rejects.toThrow(TypeError);
      expect(await store.latest()).toBeNull();
    });
  });
}
