/**
 * `FileRaftStorage`: the Raft host's durable storage on local disk.
 *
 *   <dir>/LOCK                       pid of the process that has the directory open (dir-lock.ts)
 *   <dir>/wal/<seq>.wal              write-ahead log segments (segment.ts), records in wal-record.ts
 *   <dir>/snapshots/<index>-<term>.snap  snapshot files (snapshot-files.ts), the latest two kept
 *
 * The WAL is the single source of truth: a snapshot file counts only once a WAL record names it,
 * so every multi-file change is "write the new file durably, then append the record that uses it".
 *
 * Lifecycle: `open` → `failed` (a write or sync failed: nothing more can be vouched for, see
 * StorageFailedError) → `closed`; `open` → `closed`. Operations run one at a time in call order, so
 * a `compact` issued while a `persist` is in flight lands after it.
 */
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HardState, PersistedState, Ready, Snapshot } from '../raft/types';
import { StorageFailedError, WalCorruptionError } from './errors';
import { lockDir, type DirLock } from './dir-lock';
import { frame } from './frame';
import { fsyncDir, writeFully } from './fs-durable';
import { replaySegments, type Replay, type ReplayedSegment } from './replay';
import { createSegment, listSegments, segmentPath } from './segment';
import {
  pruneSnapshotFiles,
  readSnapshotFile,
  removeTemporaryFiles,
  writeSnapshotFile,
} from './snapshot-files';
import { assertAppendable, type RaftStorage } from './storage';
import { encodeWalRecord, type SnapshotMark, type WalRecord } from './wal-record';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Satisfied by a pino logger. */
export interface StorageLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface FileRaftStorageOptions {
  /** A segment past this size is closed and the next append starts a new one. */
  readonly segmentBytes?: number;
  readonly logger?: StorageLogger;
}

export type FileRaftStorageState = 'open' | 'failed' | 'closed';

interface Segment {
  readonly seq: number;
  readonly path: string;
  maxIndex: number;
}

/** Stored entries as an index range; the entries themselves live in the core's log. */
type Range = { readonly first: number; readonly last: number } | null;

export class FileRaftStorage implements RaftStorage {
  private state: FileRaftStorageState = 'open';
  private failure: unknown = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** What `open` replayed, served by the first `load` until anything is written. */
  private loaded: PersistedState | null;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly lock: DirLock,
    private readonly segments: Segment[],
    private active: FileHandle,
    private activeSize: number,
    private hardState: HardState,
    private mark: SnapshotMark | null,
    private stored: Range,
    loaded: PersistedState,
  ) {
    this.loaded = loaded;
  }

  static async open(dir: string, options: FileRaftStorageOptions = {}): Promise<FileRaftStorage> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const walDir = path.join(dir, 'wal');
    const snapDir = path.join(dir, 'snapshots');
    await mkdir(walDir, { recursive: true });
    await mkdir(snapDir, { recursive: true });
    // A directory made just now survives a crash only once its parent is synced.
    await fsyncDir(dir);
    const lock = await lockDir(dir);
    try {
      await removeTemporaryFiles(walDir);
      await removeTemporaryFiles(snapDir);
      const replay = await replaySegments(await listSegments(walDir));
      const kept = await repairTail(walDir, replay, options.logger);
      const { active, activeSize, segments } = await openActiveSegment(walDir, kept, replay);
      try {
        const loaded = await persistedState(snapDir, replay);
        return new FileRaftStorage(
          dir,
          segmentBytes,
          lock,
          segments,
          active,
          activeSize,
          replay.hardState,
          replay.mark,
          rangeOf(replay),
          loaded,
        );
      } catch (err) {
        await active.close();
        throw err;
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  get status(): FileRaftStorageState {
    return this.state;
  }

  persist(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>): Promise<void> {
    return this.serial(async () => {
      this.assertOpen();
      const { records, stored, mark } = planPersist(rd, this.stored, this.mark);
      if (records.length === 0) return;

      await this.guard(async () => {
        // The file first: the WAL record below is what makes it count.
        if (rd.snapshot) await writeSnapshotFile(this.snapDir, rd.snapshot);
        await this.append(records, rd.entries.at(-1)?.index ?? 0);
      });
      this.stored = stored;
      this.mark = mark;
      if (rd.hardState) this.hardState = rd.hardState;
      if (rd.snapshot) await this.guard(() => this.dropCovered());
    });
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.serial(async () => {
      this.assertOpen();
      const mark = { index: snapshot.meta.index, term: snapshot.meta.term };
      await this.guard(async () => {
        await writeSnapshotFile(this.snapDir, snapshot);
        await this.append([{ kind: 'snapshot', mark }], 0);
      });
      this.mark = mark;
      const stored = this.stored;
      this.stored =
        stored && stored.last > mark.index
          ? { first: Math.max(stored.first, mark.index + 1), last: stored.last }
          : null;
      await this.guard(() => this.dropCovered());
    });
  }

  load(): Promise<PersistedState> {
    return this.serial(async () => {
      this.assertOpen();
      if (this.loaded) return this.loaded;
      const replay = await replaySegments(await listSegments(this.walDir));
      if (replay.tornTail) {
        // Every append since open was synced whole, so a bad tail now is damage, not a crash.
        const { path: file, offset, reason } = replay.tornTail;
        throw new WalCorruptionError(file, offset, reason);
      }
      return persistedState(this.snapDir, replay);
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'closed') return;
      this.state = 'closed';
      try {
        await this.active.close();
      } finally {
        await this.lock.release();
      }
    });
  }

  private get walDir(): string {
    return path.join(this.dir, 'wal');
  }

  private get snapDir(): string {
    return path.join(this.dir, 'snapshots');
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.state === 'failed') throw new StorageFailedError(this.dir, this.failure);
    if (this.state === 'closed') throw new Error(`Raft storage in ${this.dir} is closed`);
  }

  /** Any I/O error leaves the disk in a state this object no longer knows: stop for good. */
  private async guard(io: () => Promise<void>): Promise<void> {
    try {
      await io();
    } catch (err) {
      this.state = 'failed';
      this.failure = err;
      throw err;
    }
  }

  /**
   * Appends `records` as one write and syncs before resolving. This sync is the promise behind
   * every vote and acknowledgement the core sends after the Ready (step 3): resolving earlier
   * would let a crash forget a vote already cast or an entry the leader counted towards a quorum.
   * `datasync` suffices: it flushes the data and the file size, all an append changes.
   */
  private async append(records: readonly WalRecord[], maxIndex: number): Promise<void> {
    this.loaded = null;
    if (this.activeSize >= this.segmentBytes) await this.cut();
    const buf = Buffer.concat(records.map((r) => frame(encodeWalRecord(r))));
    await writeFully(this.active, buf, this.activeSize);
    await this.active.datasync();
    this.activeSize += buf.length;
    const seg = this.segments.at(-1);
    if (seg) seg.maxIndex = Math.max(seg.maxIndex, maxIndex);
  }

  /** Starts the next segment with a head carrying the current durable state. */
  private async cut(): Promise<void> {
    const prev = this.segments.at(-1);
    const seq = (prev?.seq ?? 0) + 1;
    const head = frame(
      encodeWalRecord({ kind: 'head', hardState: this.hardState, mark: this.mark }),
    );
    const next = await createSegment(this.walDir, seq, head);
    const old = this.active;
    this.active = next;
    this.activeSize = head.length;
    this.segments.push({ seq, path: segmentPath(this.walDir, seq), maxIndex: 0 });
    await old.close();
  }

  /**
   * After a snapshot record is durable: delete snapshot files beyond the latest two, then whole
   * segments whose entries the snapshot covers. Only from the front and one at a time with a
   * directory sync in between, so a crash mid-way always leaves a suffix of the log: a surviving
   * segment with a deleted one after it could replay entries that the deleted one had truncated.
   */
  private async dropCovered(): Promise<void> {
    const mark = this.mark;
    if (!mark) return;
    await pruneSnapshotFiles(this.snapDir, mark);
    for (;;) {
      const oldest = this.segments[0];
      if (!oldest || this.segments.length === 1 || oldest.maxIndex > mark.index) return;
      await unlink(oldest.path);
      await fsyncDir(this.walDir);
      this.segments.shift();
    }
  }
}

/**
 * Truncates a torn tail and removes a last segment left with no records; returns the segments
 * that remain.
 */
async function repairTail(
  walDir: string,
  replay: Replay,
  logger: StorageLogger | undefined,
): Promise<ReplayedSegment[]> {
  const segments = [...replay.segments];
  if (replay.tornTail) {
    // The record was never acknowledged: persist resolves only after the sync that would have
    // made it whole. Dropping it is what the crash would have done a moment earlier.
    const { path: file, offset, reason } = replay.tornTail;
    logger?.warn({ file, offset, reason }, 'truncating torn tail of Raft WAL');
    const fh = await open(file, 'r+');
    try {
      await fh.truncate(offset);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  const last = segments.at(-1);
  if (last && last.records === 0) {
    // A segment that lost even its head to the tear holds nothing; the ones before it stand.
    await unlink(last.path);
    await fsyncDir(walDir);
    segments.pop();
  }
  return segments;
}

/** Opens the last segment for appending, or starts the first one in an empty WAL. */
async function openActiveSegment(
  walDir: string,
  replayed: readonly ReplayedSegment[],
  replay: Replay,
): Promise<{ active: FileHandle; activeSize: number; segments: Segment[] }> {
  const segments: Segment[] = replayed.map(({ seq, path, maxIndex }) => ({ seq, path, maxIndex }));
  const last = replayed.at(-1);
  if (last) return { active: await open(last.path, 'r+'), activeSize: last.size, segments };
  // A segment repairTail removed held nothing, so the new one may take its number.
  const seq = replay.segments.at(-1)?.seq ?? 1;
  const head = frame(
    encodeWalRecord({ kind: 'head', hardState: replay.hardState, mark: replay.mark }),
  );
  const active = await createSegment(walDir, seq, head);
  segments.push({ seq, path: segmentPath(walDir, seq), maxIndex: 0 });
  return { active, activeSize: head.length, segments };
}

async function persistedState(snapDir: string, replay: Replay): Promise<PersistedState> {
  return {
    hardState: replay.hardState,
    snapshot: replay.mark ? await readSnapshotFile(snapDir, replay.mark) : null,
    entries: replay.entries,
  };
}

/**
 * The records one persist appends, and the stored range and snapshot mark once they are durable.
 * A `truncate` goes in only where it drops something, so each `entries` record continues the log.
 */
function planPersist(
  rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>,
  storedBefore: Range,
  markBefore: SnapshotMark | null,
): { records: WalRecord[]; stored: Range; mark: SnapshotMark | null } {
  const records: WalRecord[] = [];
  let stored = storedBefore;
  let mark = markBefore;
  if (rd.snapshot) {
    mark = { index: rd.snapshot.meta.index, term: rd.snapshot.meta.term };
    records.push({ kind: 'snapshot', mark });
    // A snapshot from the leader replaces the whole log, entries past it included.
    if (stored && stored.last > mark.index) {
      records.push({ kind: 'truncate', from: mark.index + 1 });
    }
    stored = null;
  }
  assertAppendable(rd.entries, stored?.last ?? mark?.index ?? 0);
  const first = rd.entries[0];
  const last = rd.entries.at(-1);
  if (first && last) {
    if (stored && first.index <= stored.last) {
      records.push({ kind: 'truncate', from: first.index });
      stored = first.index > stored.first ? { first: stored.first, last: first.index - 1 } : null;
    }
    records.push({ kind: 'entries', entries: rd.entries });
    stored = { first: stored?.first ?? first.index, last: last.index };
  }
  if (rd.hardState) records.push({ kind: 'hard', hardState: rd.hardState });
  return { records, stored, mark };
}

function rangeOf(replay: Replay): Range {
  const first = replay.entries[0];
  const last = replay.entries.at(-1);
  return first && last ? { first: first.index, last: last.index } : null;
}
