/**
 * WAL segment files: `<wal dir>/<seq>.wal`, `seq` a sequence number zero-padded to 20 digits so
 * names sort in replay order. Sequence numbers, not entry indexes, name segments because a segment
 * may hold no entries at all (only hard states) and a truncation can rewrite indexes already named.
 */
import { open, readdir, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WalCorruptionError } from './errors';
import { fsyncDir, writeFully } from './fs-durable';

const NAME = /^(\d{20})\.wal$/;

export interface SegmentFile {
  readonly seq: number;
  readonly path: string;
}

export function segmentPath(walDir: string, seq: number): string {
  return path.join(walDir, `${String(seq).padStart(20, '0')}.wal`);
}

/**
 * The segments in replay order. Segments are deleted only from the front and one at a time with a
 * directory fsync in between, so a hole in the sequence is never left by this code: it means a
 * file was lost, and replaying around it could resurrect truncated entries or miss acknowledged ones.
 */
export async function listSegments(walDir: string): Promise<SegmentFile[]> {
  const files: SegmentFile[] = [];
  for (const name of await readdir(walDir)) {
    const m = NAME.exec(name);
    if (m) files.push({ seq: Number(m[1]), path: path.join(walDir, name) });
  }
  files.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < files.length; i++) {
    const prev = files[i - 1];
    const cur = files[i];
    if (prev && cur && cur.seq !== prev.seq + 1) {
      throw new WalCorruptionError(cur.path, 0, `segment ${prev.seq + 1} before it is missing`);
    }
  }
  return files;
}

/**
 * Creates segment `seq` holding `head` and returns it open for appending. The head is fsynced
 * under a temporary name and renamed into place, so a segment never exists without its head: a
 * segment without one could not stand in for the deleted segments before it.
 */
export async function createSegment(
  walDir: string,
  seq: number,
  head: Uint8Array,
): Promise<FileHandle> {
  const final = segmentPath(walDir, seq);
  const tmp = `${final}.tmp`;
  const fh = await open(tmp, 'w+');
  try {
    await writeFully(fh, head, 0);
    await fh.sync();
    await rename(tmp, final);
    await fsyncDir(walDir);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}
