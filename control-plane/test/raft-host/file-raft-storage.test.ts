/**
 * FileRaftStorage: the conformance suite (with default and with tiny segments, so that every
 * behaviour is also checked across segment boundaries), then what only a disk has: torn tails,
 * corruption, segment files, snapshot files and the directory lock.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFile,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { WalCorruptionError } from '../../src/raft-host/errors';
import { scanFrames } from '../../src/raft-host/frame';
import { FileRaftStorage, type FileRaftStorageOptions } from '../../src/raft-host/wal';
import { decodeWalRecord } from '../../src/raft-host/wal-record';
import { EMPTY, ents, fileStorage, hard, snap, tempDir } from './fixtures';
import { describeRaftStorage } from './storage-conformance';

describeRaftStorage('FileRaftStorage', fileStorage());
describeRaftStorage('FileRaftStorage with 200-byte segments', fileStorage({ segmentBytes: 200 }));

describe('FileRaftStorage on disk', () => {
  let dir: string;
  let opened: FileRaftStorage[];

  beforeEach(async () => {
    dir = await tempDir();
    opened = [];
  });

  afterEach(async () => {
    for (const s of opened) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function openDir(options: FileRaftStorageOptions = {}): Promise<FileRaftStorage> {
    const s = await FileRaftStorage.open(dir, options);
    opened.push(s);
    return s;
  }

  async function segmentFiles(): Promise<string[]> {
    const names = (await readdir(path.join(dir, 'wal'))).sort();
    return names.map((n) => path.join(dir, 'wal', n));
  }

  async function lastSegment(): Promise<string> {
    const files = await segmentFiles();
    const last = files.at(-1);
    if (last === undefined) throw new Error('no segment');
    return last;
  }

  async function framesOf(file: string): Promise<{ offset: number; length: number }[]> {
    return scanFrames(await readFile(file)).frames.map((f) => ({
      offset: f.offset,
      length: f.payload.length,
    }));
  }

  async function flipByte(file: string, at: number): Promise<void> {
    const buf = await readFile(file);
    buf[at] = (buf[at] ?? 0) ^ 0x5a;
    await writeFile(file, buf);
  }

  async function maxEntryIndex(file: string): Promise<number> {
    let max = 0;
    for (const { payload } of scanFrames(await readFile(file)).frames) {
      const record = decodeWalRecord(payload);
      if (record.kind === 'entries') max = Math.max(max, record.entries.at(-1)?.index ?? 0);
    }
    return max;
  }

  function warnings(): { logger: FileRaftStorageOptions['logger']; seen: unknown[] } {
    const seen: unknown[] = [];
    return { logger: { warn: (fields, msg) => seen.push({ ...fields, msg }) }, seen };
  }

  /** Persists A (acknowledged) and then B, a single-record batch the test will damage. */
  async function writeAThenB(): Promise<void> {
    const s = await openDir();
    await s.persist({ snapshot: null, entries: ents(1, 3, 1), hardState: hard(1, 'a', 2) });
    await s.persist({ snapshot: null, entries: ents(4, 5, 1), hardState: null });
    await s.close();
  }
  const stateA = { hardState: hard(1, 'a', 2), snapshot: null, entries: ents(1, 3, 1) };

  describe('torn tail', () => {
    it('truncates a last record cut short, warns, and appends after it', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const b = (await framesOf(file)).at(-1)!;
      await truncate(file, b.offset + 8 + b.length - 3);

      const { logger, seen } = warnings();
      const s = await openDir({ logger });
      expect(await s.load()).toEqual(stateA);
      expect(seen).toEqual([expect.objectContaining({ file, offset: b.offset })]);
      expect((await stat(file)).size).toBe(b.offset);

      await s.persist({ snapshot: null, entries: ents(4, 4, 2), hardState: null });
      await s.close();
      const again = await openDir();
      expect(await again.load()).toEqual({
        ...stateA,
        entries: [...ents(1, 3, 1), ...ents(4, 4, 2)],
      });
    });

    it('truncates a last record whose header is cut short', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const b = (await framesOf(file)).at(-1)!;
      await truncate(file, b.offset + 5);
      expect(await (await openDir()).load()).toEqual(stateA);
    });

    it('truncates a last record whose payload has a flipped byte', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const b = (await framesOf(file)).at(-1)!;
      await flipByte(file, b.offset + 8 + Math.floor(b.length / 2));

      const { logger, seen } = warnings();
      const s = await openDir({ logger });
      expect(await s.load()).toEqual(stateA);
      expect(seen).toEqual([expect.objectContaining({ file, offset: b.offset })]);
    });

    it('truncates a zero-filled tail after the last record and keeps every record', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const size = (await stat(file)).size;
      await appendFile(file, Buffer.alloc(4096));
      const s = await openDir();
      expect((await s.load()).entries).toEqual(ents(1, 5, 1));
      expect((await stat(file)).size).toBe(size);
    });
  });

  describe('corruption', () => {
    it('refuses to start on a bad record before the tail, naming the file and offset', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const [, firstEntries] = await framesOf(file);
      await flipByte(file, firstEntries!.offset + 8 + 2);

      const err = await FileRaftStorage.open(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WalCorruptionError);
      expect(err).toMatchObject({ code: 'RAFT_WAL_CORRUPT', file, offset: firstEntries!.offset });
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain(`offset ${firstEntries!.offset}`);
      // The failed open let go of the lock: the next attempt fails the same way, not as locked.
      await expect(FileRaftStorage.open(dir)).rejects.toBeInstanceOf(WalCorruptionError);
    });

    it('refuses a bad length before the tail too', async () => {
      await writeAThenB();
      const file = await lastSegment();
      const [head] = await framesOf(file);
      await flipByte(file, head!.offset);
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_WAL_CORRUPT',
        file,
        offset: 0,
      });
    });

    it('a torn last record of a segment that is not the last is corruption', async () => {
      const s = await openDir({ segmentBytes: 100 });
      for (let i = 1; i <= 6; i++) {
        await s.persist({ snapshot: null, entries: ents(i, i, 1), hardState: null });
      }
      await s.close();
      const [first, second] = await segmentFiles();
      expect(second).toBeDefined();
      const last = (await framesOf(first!)).at(-1)!;
      await flipByte(first!, last.offset + 8);
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_WAL_CORRUPT',
        file: first,
        offset: last.offset,
      });
    });

    it('refuses a hole in the segment sequence', async () => {
      const s = await openDir({ segmentBytes: 100 });
      for (let i = 1; i <= 8; i++) {
        await s.persist({ snapshot: null, entries: ents(i, i, 1), hardState: null });
      }
      await s.close();
      const files = await segmentFiles();
      expect(files.length).toBeGreaterThanOrEqual(3);
      await unlink(files[1]!);
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_WAL_CORRUPT',
        file: files[2],
      });
    });

    it('refuses to start when the snapshot the WAL names is missing or damaged', async () => {
      const s = await openDir();
      await s.persist({ snapshot: null, entries: ents(1, 4, 1), hardState: null });
      await s.compact(snap(2, 1));
      await s.close();
      const file = path.join(dir, 'snapshots', '2-1.snap');
      await flipByte(file, 20);
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_WAL_CORRUPT',
        file,
      });
      await unlink(file);
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_WAL_CORRUPT',
        file,
      });
    });
  });

  describe('segments', () => {
    it('rolls over past segmentBytes and deletes whole segments a compaction covers', async () => {
      const s = await openDir({ segmentBytes: 256 });
      // The only hard state record: it must survive the deletion of the segment holding it.
      await s.persist({ snapshot: null, entries: ents(1, 1, 1), hardState: hard(5, 'x', 1) });
      for (let i = 2; i <= 40; i++) {
        await s.persist({ snapshot: null, entries: ents(i, i, 5), hardState: null });
      }
      const before = await segmentFiles();
      expect(before.length).toBeGreaterThan(4);
      expect(before.map((f) => path.basename(f))).toEqual(
        before.map((_, i) => `${String(i + 1).padStart(20, '0')}.wal`),
      );
      for (const f of before.slice(0, -1)) {
        // A segment closes once it is past the limit, by at most the batch that crossed it.
        expect((await stat(f)).size).toBeGreaterThanOrEqual(256);
        expect((await stat(f)).size).toBeLessThan(256 + 100);
      }

      await s.compact(snap(30, 5));
      const after = await segmentFiles();
      expect(after.length).toBeLessThan(before.length);
      expect(after).toEqual(before.slice(before.length - after.length));
      const expected = {
        hardState: hard(5, 'x', 1),
        snapshot: snap(30, 5),
        entries: [...ents(31, 40, 5)],
      };
      expect(await s.load()).toEqual(expected);
      await s.close();
      expect(await (await openDir({ segmentBytes: 256 })).load()).toEqual(expected);
    });

    it('keeps every segment from the first one holding an entry past the snapshot', async () => {
      const s = await openDir({ segmentBytes: 100 });
      for (let i = 1; i <= 10; i++) {
        await s.persist({ snapshot: null, entries: ents(i, i, 1), hardState: null });
      }
      const files = await segmentFiles();
      const maxIndexes = await Promise.all(files.map(maxEntryIndex));
      const firstNeeded = maxIndexes.findIndex((m) => m > 3);
      expect(firstNeeded).toBeGreaterThan(0);

      await s.compact(snap(3, 1));
      // The compaction's own record may have started one more segment after them.
      const kept = await segmentFiles();
      expect(kept.slice(0, files.length - firstNeeded)).toEqual(files.slice(firstNeeded));
      expect((await s.load()).entries).toEqual(ents(4, 10, 1));
    });

    it('removes a last segment left without even its head, keeping the ones before it', async () => {
      const s = await openDir({ segmentBytes: 100 });
      for (let i = 1; i <= 6; i++) {
        await s.persist({ snapshot: null, entries: ents(i, i, 1), hardState: hard(1, 'a', i - 1) });
      }
      await s.close();
      const files = await segmentFiles();
      const next = path.join(dir, 'wal', `${String(files.length + 1).padStart(20, '0')}.wal`);
      await writeFile(next, Buffer.from([7, 0, 0]));

      const reopened = await openDir({ segmentBytes: 100 });
      const expected = { hardState: hard(1, 'a', 5), snapshot: null, entries: ents(1, 6, 1) };
      expect(await reopened.load()).toEqual(expected);
      expect(await segmentFiles()).toEqual(files);
      await reopened.persist({ snapshot: null, entries: ents(7, 7, 1), hardState: null });
      await reopened.close();
      expect(await (await openDir()).load()).toEqual({ ...expected, entries: ents(1, 7, 1) });
    });

    it('starts over with a fresh head when its only segment lost everything', async () => {
      await (await openDir()).close();
      const [only] = await segmentFiles();
      await writeFile(only!, Buffer.alloc(0));
      const s = await openDir();
      expect(await s.load()).toEqual(EMPTY);
      await s.persist({ snapshot: null, entries: ents(1, 1, 1), hardState: null });
      await s.close();
      expect(await (await openDir()).load()).toEqual({ ...EMPTY, entries: ents(1, 1, 1) });
    });

    it('keeps the latest two snapshot files', async () => {
      const s = await openDir();
      await s.persist({ snapshot: null, entries: ents(1, 10, 1), hardState: null });
      for (const i of [3, 5, 7, 9]) await s.compact(snap(i, 1));
      expect((await readdir(path.join(dir, 'snapshots'))).sort()).toEqual(['7-1.snap', '9-1.snap']);
    });

    it('ignores and removes files a crash left half-written', async () => {
      const s = await openDir();
      await s.persist({ snapshot: null, entries: ents(1, 2, 1), hardState: null });
      await s.close();
      await writeFile(path.join(dir, 'wal', `${'2'.padStart(20, '0')}.wal.tmp`), 'junk');
      await writeFile(path.join(dir, 'snapshots', '9-9.snap.tmp'), 'junk');
      expect(await (await openDir()).load()).toEqual({ ...EMPTY, entries: ents(1, 2, 1) });
      expect(await readdir(path.join(dir, 'snapshots'))).toEqual([]);
      expect((await segmentFiles()).map((f) => path.basename(f))).toEqual([
        `${'1'.padStart(20, '0')}.wal`,
      ]);
    });
  });

  describe('failure', () => {
    it('after a failed sync refuses all further work, and still closes', async () => {
      const s = await openDir();
      await s.persist({ snapshot: null, entries: ents(1, 1, 1), hardState: null });
      const { active } = s as unknown as { active: FileHandle };
      jest.spyOn(active, 'datasync').mockRejectedValueOnce(new Error('EIO'));
      await expect(
        s.persist({ snapshot: null, entries: ents(2, 2, 1), hardState: null }),
      ).rejects.toThrow('EIO');
      expect(s.status).toBe('failed');
      await expect(
        s.persist({ snapshot: null, entries: ents(2, 2, 1), hardState: null }),
      ).rejects.toMatchObject({ code: 'RAFT_STORAGE_FAILED' });
      await expect(s.load()).rejects.toMatchObject({ code: 'RAFT_STORAGE_FAILED' });
      await s.close();
      expect(s.status).toBe('closed');
    });
  });

  describe('lock', () => {
    it('refuses a second open of the same directory, naming it, until the first closes', async () => {
      const first = await openDir();
      await expect(FileRaftStorage.open(dir)).rejects.toMatchObject({
        code: 'RAFT_STORAGE_LOCKED',
        dir,
        pid: process.pid,
        message: expect.stringContaining(dir) as unknown,
      });
      await first.close();
      await (await openDir()).close();
      await expect(stat(path.join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('takes over a lock left by a process that is gone', async () => {
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      await writeFile(path.join(dir, 'LOCK'), `${gone}\n`);
      await openDir();
      expect(await readFile(path.join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    });

    it('takes over an empty lock file (a crash before the pid was written)', async () => {
      await writeFile(path.join(dir, 'LOCK'), '');
      await openDir();
    });
  });
});
