/**
 * Rebuilds what the WAL says is durable by reading its segments in order. Reads only: the caller
 * decides what to do about a torn tail (truncate it at open; treat it as corruption later).
 */
import { readFile } from 'node:fs/promises';
import type { Entry, HardState } from '../raft/types';
import { WalCorruptionError } from './errors';
import { scanFrames } from './frame';
import type { SegmentFile } from './segment';
import { decodeWalRecord, type SnapshotMark, type WalRecord } from './wal-record';

export interface ReplayedSegment extends SegmentFile {
  /** Highest entry index written in this segment (0 if none): compaction may delete the segment once a snapshot covers it. */
  readonly maxIndex: number;
  /** Bytes of whole records, the offset the next append goes to. */
  readonly size: number;
  readonly records: number;
}

export interface TornTail {
  readonly path: string;
  readonly offset: number;
  readonly reason: string;
}

export interface Replay {
  readonly hardState: HardState;
  readonly mark: SnapshotMark | null;
  readonly entries: readonly Entry[];
  readonly segments: readonly ReplayedSegment[];
  /** Set only for the last segment: a bad record anywhere else has already thrown. */
  readonly tornTail: TornTail | null;
}

export async function replaySegments(files: readonly SegmentFile[]): Promise<Replay> {
  const image = new LogImage();
  const segments: ReplayedSegment[] = [];
  let tornTail: TornTail | null = null;
  for (const [i, file] of files.entries()) {
    const scan = scanFrames(await readFile(file.path));
    if (scan.stop.kind !== 'end') {
      // Only the last record of the last segment can have been cut short by a crash: every earlier
      // one was fsynced before anything after it was written.
      const last = i === files.length - 1;
      if (scan.stop.kind === 'corrupt' || !last) {
        throw new WalCorruptionError(file.path, scan.stop.offset, scan.stop.reason);
      }
      tornTail = { path: file.path, offset: scan.stop.offset, reason: scan.stop.reason };
    }
    let maxIndex = 0;
    for (const [n, { offset, payload }] of scan.frames.entries()) {
      try {
        const record = decodeWalRecord(payload);
        if ((record.kind === 'head') !== (n === 0)) {
          throw new Error('a segment holds exactly one head record, first');
        }
        image.apply(record);
        if (record.kind === 'entries') maxIndex = Math.max(maxIndex, image.lastIndex());
      } catch (err) {
        if (err instanceof WalCorruptionError) throw err;
        // The CRC matched, so these bytes are what was written: a record that does not decode or
        // does not fit the log is damage (or a bug), not a torn write.
        throw new WalCorruptionError(file.path, offset, (err as Error).message);
      }
    }
    segments.push({ ...file, maxIndex, size: scan.validEnd, records: scan.frames.length });
  }
  return {
    hardState: image.hardState,
    mark: image.mark,
    entries: image.entries,
    segments,
    tornTail,
  };
}

/** The log as the records so far describe it; entries are always contiguous. */
class LogImage {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  mark: SnapshotMark | null = null;
  entries: Entry[] = [];

  lastIndex(): number {
    return this.entries.at(-1)?.index ?? 0;
  }

  apply(record: WalRecord): void {
    switch (record.kind) {
      case 'head':
        this.hardState = record.hardState;
        this.mark = record.mark;
        if (record.mark) this.dropThrough(record.mark.index);
        return;
      case 'hard':
        this.hardState = record.hardState;
        return;
      case 'snapshot':
        this.mark = record.mark;
        this.dropThrough(record.mark.index);
        return;
      case 'truncate': {
        const base = this.entries[0]?.index;
        if (base !== undefined)
          this.entries.length = Math.max(0, Math.min(this.entries.length, record.from - base));
        return;
      }
      case 'entries': {
        const first = record.entries[0];
        // After a front deletion replay starts mid-log, so an empty image accepts any start.
        if (first && this.entries.length > 0 && first.index !== this.lastIndex() + 1) {
          throw new Error(
            `entries from ${first.index} do not continue the log ending at ${this.lastIndex()}`,
          );
        }
        for (const e of record.entries) this.entries.push(e);
        return;
      }
    }
  }

  private dropThrough(index: number): void {
    const base = this.entries[0]?.index;
    if (base !== undefined && base <= index) this.entries.splice(0, index - base + 1);
  }
}
