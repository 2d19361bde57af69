/**
 * Snapshots on disk: `<dir>/<index>-<term>.snap`, one CRC frame (frame.ts) around a msgpack map
 * `{ v, index, term, voters, learners, data }`. A snapshot file becomes part of the durable state
 * only when a WAL `snap` record names it, so a file written just before a crash is harmless.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Packr } from 'msgpackr';
import type { Snapshot } from '../raft/types';
import { WalCorruptionError } from './errors';
import { frame, scanFrames } from './frame';
import { writeFileAtomically } from './fs-durable';
import type { SnapshotMark } from './wal-record';

const SNAPSHOT_FORMAT_VERSION = 1;
const NAME = /^(\d+)-(\d+)\.snap$/;

const packr = new Packr({ useRecords: false });

export function snapshotFileName(mark: SnapshotMark): string {
  return `${mark.index}-${mark.term}.snap`;
}

/** Resolves once the file and its directory entry are durable. */
export async function writeSnapshotFile(dir: string, snapshot: Snapshot): Promise<void> {
  const { index, term, conf } = snapshot.meta;
  const payload = packr.pack({
    v: SNAPSHOT_FORMAT_VERSION,
    index,
    term,
    voters: conf.voters,
    learners: conf.learners,
    data: snapshot.data,
  });
  await writeFileAtomically(dir, snapshotFileName(snapshot.meta), frame(payload));
}

export async function readSnapshotFile(dir: string, mark: SnapshotMark): Promise<Snapshot> {
  const file = path.join(dir, snapshotFileName(mark));
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new WalCorruptionError(file, 0, 'the WAL names this snapshot but the file is missing');
    }
    throw err;
  }
  // Written whole through a rename, so any damage at all is corruption, never a torn tail.
  const scan = scanFrames(buf);
  const only = scan.frames[0];
  if (scan.stop.kind !== 'end')
    throw new WalCorruptionError(file, scan.stop.offset, scan.stop.reason);
  if (only === undefined || scan.frames.length !== 1) {
    throw new WalCorruptionError(file, 0, 'expected exactly one frame');
  }
  try {
    return decodeSnapshot(only.payload, mark);
  } catch (err) {
    throw new WalCorruptionError(file, 0, (err as Error).message);
  }
}

/**
 * Keeps the snapshot the WAL names and the newest one older than it (a peer may still be reading
 * it); deletes the rest, including files newer than `current` left by a crash before their WAL
 * record. Deleting needs no fsync: a file that comes back after a crash is just deleted again.
 */
export async function pruneSnapshotFiles(dir: string, current: SnapshotMark): Promise<void> {
  const marks: SnapshotMark[] = [];
  for (const name of await readdir(dir)) {
    const m = NAME.exec(name);
    if (m) marks.push({ index: Number(m[1]), term: Number(m[2]) });
  }
  const older = marks
    .filter((m) => m.index < current.index || (m.index === current.index && m.term < current.term))
    .sort((a, b) => b.index - a.index || b.term - a.term);
  const keep = new Set([snapshotFileName(current), ...older.slice(0, 1).map(snapshotFileName)]);
  for (const m of marks) {
    const name = snapshotFileName(m);
    if (!keep.has(name)) await unlink(path.join(dir, name));
  }
}

/** Temporary files are writes a crash interrupted before their rename. */
export async function removeTemporaryFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith('.tmp')) await unlink(path.join(dir, name));
  }
}

function decodeSnapshot(payload: Uint8Array, mark: SnapshotMark): Snapshot {
  const raw: unknown = packr.unpack(payload);
  if (typeof raw !== 'object' || raw === null) throw new Error('snapshot is not a map');
  const r = raw as Record<string, unknown>;
  if (r.v !== SNAPSHOT_FORMAT_VERSION) throw new Error('unknown snapshot format version');
  if (r.index !== mark.index || r.term !== mark.term) {
    throw new Error(`holds ${String(r.index)}-${String(r.term)}, not what its name says`);
  }
  if (!isStrings(r.voters) || !isStrings(r.learners) || !(r.data instanceof Uint8Array)) {
    throw new Error('snapshot fields are malformed');
  }
  return {
    meta: { index: mark.index, term: mark.term, conf: { voters: r.voters, learners: r.learners } },
    data: new Uint8Array(r.data),
  };
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
