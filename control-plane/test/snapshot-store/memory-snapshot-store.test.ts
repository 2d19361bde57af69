/** MemorySnapshotStore: the conformance suite over one shared backing, then what sharing means. */
import {
  MemorySnapshotBacking,
  MemorySnapshotStore,
} from '../../src/snapshot-store/memory-snapshot-store';
import { describeSnapshotStoreConformance } from './conformance';
import { snap } from './fixtures';

describeSnapshotStoreConformance('MemorySnapshotStore', () => {
  const backing = new MemorySnapshotBacking();
  return Promise.resolve({
    open: (cluster) => new MemorySnapshotStore(cluster, backing),
    corruptLatest: (cluster) => {
      const record = backing.records.get(cluster);
      if (!record || record.data.length === 0) throw new Error(`no data stored for ${cluster}`);
      record.data[record.data.length - 1] = (record.data[record.data.length - 1] ?? 0) ^ 1;
      return Promise.resolve();
    },
    storedUnits: (cluster) => Promise.resolve(backing.records.has(cluster) ? 1 : 0),
    unitsFor: () => 1,
    dispose: () => Promise.resolve(),
  });
});

describe('MemorySnapshotStore backing', () => {
  it('stores without a shared backing are independent', async () => {
    const a = new MemorySnapshotStore('c');
    const b = new MemorySnapshotStore('c');
    await a.save(snap(1));
    expect(await b.latest()).toBeNull();
  });

  it('names the record in a corruption error', async () => {
    const backing = new MemorySnapshotBacking();
    const store = new MemorySnapshotStore('c', backing);
    await store.save(snap(1));
    const record = backing.records.get('c');
    if (record) record.data[0] = (record.data[0] ?? 0) ^ 1;
    await expect(store.latest()).rejects.toMatchObject({
      code: 'TREMOR_SNAPSHOT_CORRUPT',
      location: 'memory:c',
    });
  });

  it('refuses an empty cluster name', () => {
    expect(() => new MemorySnapshotStore('')).toThrow(TypeError);
  });
});
