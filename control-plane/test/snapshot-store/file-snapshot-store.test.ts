/**
 * FileSnapshotStore: the conformance suite in a temp dir, then what only a disk has: the file
 * layout, temporary files a crash leaves, every kind of damage, and a directory that is not one.
 */
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeClusterName, FileSnapshotStore } from '../../src/snapshot-store/file-snapshot-store';
import { SnapshotCorruptError } from '../../src/snapshot-store/errors';
import { describeSnapshotStoreConformance } from './conformance';
import { snap, tempDir } from './fixtures';

async function clusterFiles(dir: string, cluster: string): Promise<string[]> {
  const prefix = `${encodeClusterName(cluster)}.`;
  return (await readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
}

/** Flips one bit of `file` at `offset` (negative: from the end). */
async function flip(file: string, offset: number): Promise<void> {
  const buf = await readFile(file);
  const at = offset < 0 ? buf.length + offset : offset;
  buf[at] = (buf[at] ?? 0) ^ 1;
  await writeFile(file, buf);
}

describeSnapshotStoreConformance('FileSnapshotStore', async () => {
  const dir = await tempDir();
  return {
    open: (cluster) => new FileSnapshotStore(dir, cluster),
    corruptLatest: async (cluster) => {
      const snaps = (await clusterFiles(dir, cluster)).filter((n) => n.endsWith('.snap'));
      const last = snaps[snaps.length - 1];
      if (last === undefined) throw new Error(`no snapshot file for ${cluster}`);
      await flip(path.join(dir, last), -1);
    },
    storedUnits: async (cluster) => (await clusterFiles(dir, cluster)).length,
    unitsFor: () => 1,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FileSnapshotStore on disk', () => {
  let dir: string;
  let opened: FileSnapshotStore[];

  const open = (cluster = 'c', at = dir): FileSnapshotStore => {
    const store = new FileSnapshotStore(at, cluster);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await tempDir();
    opened = [];
  });

  afterEach(async () => {
    for (const s of opened) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one file per cluster, named by the encoded cluster name and a padded index', async () => {
    await open('prod').save(snap(42));
    await open('a/b.c d').save(snap(7));
    expect((await readdir(dir)).sort()).toEqual([
      'a%2Fb%2Ec%20d.0000000000000007.snap',
      'prod.0000000000000042.snap',
    ]);
    expect(open('prod').fileFor(42)).toBe(path.join(dir, 'prod.0000000000000042.snap'));
  });

  it('creates a missing directory, nested, on the first save', async () => {
    const nested = path.join(dir, 'x', 'y');
    expect(await open('c', nested).latest()).toBeNull();
    expect(await open('c', nested).save(snap(1))).toBe(true);
    expect(await open('c', nested).latest()).toEqual(snap(1));
  });

  it('ignores a temporary file a crash left behind, and the next save removes it', async () => {
    const store = open();
    await store.save(snap(1));
    const torn = path.join(dir, 'c.0000000000000005.0b5e1c3e-4a1f-4a43-9a0e-4d0b6f1e2a11.tmp');
    await writeFile(torn, Buffer.from('half a snapshot'));
    expect(await store.latest()).toEqual(snap(1));
    expect(await store.save(snap(6))).toBe(true);
    expect(await clusterFiles(dir, 'c')).toEqual(['c.0000000000000006.snap']);
  });

  const damages: [string, (file: string) => Promise<void>][] = [
    ['truncated to a few bytes', (f) => truncate(f, 10)],
    ['missing its last byte', async (f) => truncate(f, (await readFile(f)).length - 1)],
    [
      'with a byte appended',
      async (f) => writeFile(f, Buffer.concat([await readFile(f), Buffer.from([0])])),
    ],
    ['with a damaged magic', (f) => flip(f, 0)],
    ['with a damaged checksum', (f) => flip(f, 8)],
    ['with a damaged header length', (f) => flip(f, 43)],
    ['with a damaged header', (f) => flip(f, 50)],
    ['with a damaged data byte', (f) => flip(f, -10)],
    ['emptied', (f) => truncate(f, 0)],
  ];

  it.each(damages)('reports a file %s as corrupt, naming the file', async (_, damage) => {
    const store = open();
    await store.save(snap(1));
    await store.save(snap(2, 1, 300));
    const file = store.fileFor(2);
    await damage(file);
    const err: unknown = await store.latest().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptError);
    expect(err).toMatchObject({ code: 'TREMOR_SNAPSHOT_CORRUPT', location: file });
    expect((err as Error).message).toContain(file);
  });

  it('reports a snapshot file of another cluster renamed into this one as corrupt', async () => {
    await open('other').save(snap(3));
    const store = open('c');
    await writeFile(store.fileFor(3), await readFile(open('other').fileFor(3)));
    await expect(store.latest()).rejects.toMatchObject({
      code: 'TREMOR_SNAPSHOT_CORRUPT',
      location: store.fileFor(3),
    });
  });

  it('reports a path that is not a directory as TREMOR_SNAPSHOT_STORE_UNAVAILABLE', async () => {
    const notADir = path.join(dir, 'plain-file');
    await writeFile(notADir, 'x');
    const store = open('c', notADir);
    const unavailable = { code: 'TREMOR_SNAPSHOT_STORE_UNAVAILABLE' };
    await expect(store.save(snap(1))).rejects.toMatchObject(unavailable);
    await expect(store.latest()).rejects.toMatchObject(unavailable);
  });

  it('an unrelated file in the directory is left alone', async () => {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'c.notes'), 'keep me');
    await open().save(snap(1));
    await open().save(snap(2));
    expect((await readdir(dir)).sort()).toEqual(['c.0000000000000002.snap', 'c.notes', 'sub']);
  });

  it('refuses a cluster name too long for a file name', () => {
    expect(() => new FileSnapshotStore(dir, 'x'.repeat(200))).toThrow(RangeError);
    expect(() => new FileSnapshotStore(dir, '')).toThrow(TypeError);
  });
});
