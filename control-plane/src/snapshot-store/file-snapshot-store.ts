/**
 * Snapshots as files in a directory that any number of clusters may share. A cluster's snapshot is
 * `<cluster>.<index>.snap`: <cluster> is the cluster name with every byte outside [A-Za-z0-9_-]
 * written as %XX (so it holds no dot and no slash), <index> is 16 digits (so names sort by index).
 *
 * File layout (big-endian):
 *   magic "TRSNAP01" (8 bytes) | sha256 of everything after it (32) | header length (u32) |
 *   header: UTF-8 JSON { v, cluster, index, term, voters, learners, byteLength } | data
 *
 * A save writes `<cluster>.<index>.<uuid>.tmp`, fsyncs it, hard-links it to its final name and
 * fsyncs the directory; only then is it acknowledged. link(2), unlike rename(2), fails when the name
 * exists, so two writers at one index cannot overwrite each other. Files of the cluster with a
 * lower index, and temporary files a crash left, are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Snapshot } from '../raft/types';
import { fsyncDir, writeFully } from '../raft-host/fs-durable';
import { sha256Hex } from './checksum';
import { SnapshotCorruptError, unavailable } from './errors';
import { assertSnapshotShape, type SnapshotStore } from './snapshot-store';
import { StoreLifecycle } from './store-lifecycle';

const MAGIC = Buffer.from('TRSNAP01', 'ascii');
const FORMAT_VERSION = 1;
const SHA256_BYTES = 32;
const HEADER_LENGTH_OFFSET = MAGIC.length + SHA256_BYTES;
const HEADER_OFFSET = HEADER_LENGTH_OFFSET + 4;
const INDEX_DIGITS = 16;
/** What a file name adds to the encoded cluster name: `.<16 digits>.<uuid>.tmp`. */
const NAME_OVERHEAD = 1 + INDEX_DIGITS + 1 + 36 + 4;
const MAX_FILE_NAME_BYTES = 255;
/** Reads that lose a race with a newer save (which deletes the file being read) start over. */
const MAX_READ_ATTEMPTS = 5;

const FINAL_NAME = /^(\d{16})\.snap$/;
const TEMP_NAME = /^(\d{16})\.[0-9a-f-]{36}\.tmp$/;

interface Listing {
  /** Indexes of the cluster's complete snapshot files. */
  readonly finals: readonly number[];
  readonly temps: readonly { readonly index: number; readonly name: string }[];
}

export class FileSnapshotStore implements SnapshotStore {
  private readonly lifecycle: StoreLifecycle;
  /** Every file of this cluster starts with it; no other cluster's files do. */
  private readonly prefix: string;
  private dirReady: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    readonly clusterName: string,
  ) {
    if (clusterName === '') throw new TypeError('the cluster name must not be empty');
    const encoded = encodeClusterName(clusterName);
    if (encoded.length + NAME_OVERHEAD > MAX_FILE_NAME_BYTES) {
      throw new RangeError(`cluster name "${clusterName}" is too long for snapshot file names`);
    }
    this.prefix = `${encoded}.`;
    this.lifecycle = new StoreLifecycle(`file snapshot store in ${dir} (cluster ${clusterName})`);
  }

  save(snapshot: Snapshot): Promise<boolean> {
    return this.lifecycle.run(() => {
      assertSnapshotShape(snapshot);
      return this.saveNow(snapshot);
    });
  }

  latest(): Promise<Snapshot | null> {
    return this.lifecycle.run(() => this.readLatest());
  }

  close(): Promise<void> {
    return this.lifecycle.close();
  }

  /** The file a snapshot at `index` of this cluster is kept in. */
  fileFor(index: number): string {
    return path.join(this.dir, `${this.prefix}${String(index).padStart(INDEX_DIGITS, '0')}.snap`);
  }

  private async saveNow(snapshot: Snapshot): Promise<boolean> {
    const index = snapshot.meta.index;
    await this.ensureDir();
    if (highest(await this.list()) >= index) return false;

    const finalPath = this.fileFor(index);
    const tempPath = path.join(
      this.dir,
      `${this.prefix}${String(index).padStart(INDEX_DIGITS, '0')}.${randomUUID()}.tmp`,
    );
    const bytes = encodeSnapshotFile(this.clusterName, snapshot);
    try {
      await writeDurably(tempPath, bytes);
    } catch (err) {
      await removeQuietly(tempPath);
      throw unavailable(`writing ${tempPath}`, err);
    }
    try {
      await link(tempPath, finalPath);
    } catch (err) {
      await removeQuietly(tempPath);
      if (errnoOf(err) === 'EEXIST') return false;
      // A save at an equal or higher index deletes lower temporary files: this one lost anyway.
      if (errnoOf(err) === 'ENOENT' && highest(await this.list()) >= index) return false;
      throw unavailable(`linking ${finalPath}`, err);
    }
    await removeQuietly(tempPath);
    // The new name is durable only once its directory is: the entry is directory metadata.
    try {
      await fsyncDir(this.dir);
    } catch (err) {
      throw unavailable(`syncing ${this.dir}`, err);
    }

    const after = await this.list();
    if (highest(after) > index) {
      // A newer save finished meanwhile and may have pruned before this file existed.
      await removeQuietly(finalPath);
      return false;
    }
    await this.prune(after, index);
    return true;
  }

  /**
   * Deletes what `index` supersedes. Failures are ignored: the snapshot is already durable and the
   * next save prunes again. Deletions need no fsync: a file that comes back after a crash is lower
   * than the latest and is deleted again.
   */
  private async prune(listing: Listing, index: number): Promise<void> {
    const doomed = [
      ...listing.finals.filter((i) => i < index).map((i) => this.fileFor(i)),
      ...listing.temps.filter((t) => t.index <= index).map((t) => path.join(this.dir, t.name)),
    ];
    for (const file of doomed) await removeQuietly(file);
  }

  private async readLatest(): Promise<Snapshot | null> {
    for (let attempt = 1; ; attempt++) {
      const index = highest(await this.list());
      if (index < 0) return null;
      const file = this.fileFor(index);
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' && attempt < MAX_READ_ATTEMPTS) continue;
        throw unavailable(`reading ${file}`, err);
      }
      return decodeSnapshotFile(buf, file, this.clusterName, index);
    }
  }

  private async list(): Promise<Listing> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return { finals: [], temps: [] };
      throw unavailable(`listing ${this.dir}`, err);
    }
    const finals: number[] = [];
    const temps: { index: number; name: string }[] = [];
    for (const name of names) {
      if (!name.startsWith(this.prefix)) continue;
      const rest = name.slice(this.prefix.length);
      const final = FINAL_NAME.exec(rest);
      if (final) finals.push(Number(final[1]));
      const temp = TEMP_NAME.exec(rest);
      if (temp) temps.push({ index: Number(temp[1]), name });
    }
    return { finals, temps };
  }

  private ensureDir(): Promise<void> {
    this.dirReady ??= createDir(this.dir).catch((err: unknown) => {
      this.dirReady = null;
      throw unavailable(`creating ${this.dir}`, err);
    });
    return this.dirReady;
  }
}

export function encodeSnapshotFile(clusterName: string, snapshot: Snapshot): Buffer {
  const { index, term, conf } = snapshot.meta;
  const header = Buffer.from(
    JSON.stringify({
      v: FORMAT_VERSION,
      cluster: clusterName,
      index,
      term,
      voters: conf.voters,
      learners: conf.learners,
      byteLength: snapshot.data.length,
    }),
    'utf8',
  );
  const out = Buffer.alloc(HEADER_OFFSET + header.length + snapshot.data.length);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(header.length, HEADER_LENGTH_OFFSET);
  header.copy(out, HEADER_OFFSET);
  out.set(snapshot.data, HEADER_OFFSET + header.length);
  Buffer.from(sha256Hex(out.subarray(HEADER_LENGTH_OFFSET)), 'hex').copy(out, MAGIC.length);
  return out;
}

/** Verifies everything: a file is written whole through a link, so any damage is corruption. */
export function decodeSnapshotFile(
  buf: Buffer,
  file: string,
  clusterName: string,
  index: number,
): Snapshot {
  const corrupt = (reason: string): SnapshotCorruptError => new SnapshotCorruptError(file, reason);
  if (buf.length < HEADER_OFFSET) throw corrupt(`only ${buf.length} bytes, shorter than a header`);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('not a snapshot file (magic)');
  const stored = buf.subarray(MAGIC.length, HEADER_LENGTH_OFFSET).toString('hex');
  if (sha256Hex(buf.subarray(HEADER_LENGTH_OFFSET)) !== stored) {
    throw corrupt('sha256 does not match');
  }
  const headerLength = buf.readUInt32BE(HEADER_LENGTH_OFFSET);
  const dataOffset = HEADER_OFFSET + headerLength;
  if (dataOffset > buf.length) throw corrupt('header runs past the end of the file');
  let h: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(buf.subarray(HEADER_OFFSET, dataOffset).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    h = parsed as Record<string, unknown>;
  } catch (err) {
    throw corrupt(`header is not JSON: ${(err as Error).message}`);
  }
  if (h.v !== FORMAT_VERSION) throw corrupt(`unknown format version ${String(h.v)}`);
  if (h.cluster !== clusterName) throw corrupt(`belongs to cluster ${String(h.cluster)}`);
  if (h.index !== index) throw corrupt(`holds index ${String(h.index)}, not what its name says`);
  if (!Number.isSafeInteger(h.term) || !isStrings(h.voters) || !isStrings(h.learners)) {
    throw corrupt('header fields are malformed');
  }
  if (h.byteLength !== buf.length - dataOffset) {
    throw corrupt(`${buf.length - dataOffset} data bytes, header says ${String(h.byteLength)}`);
  }
  return {
    meta: { index, term: h.term as number, conf: { voters: h.voters, learners: h.learners } },
    data: new Uint8Array(buf.subarray(dataOffset)),
  };
}

/** Bytes outside [A-Za-z0-9_-] become %XX: no dot (the name separator), no slash. */
export function encodeClusterName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /^[A-Za-z0-9_-]$/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await writeFully(fh, bytes, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p, then fsyncs the parent of every directory it created so their entries survive. */
async function createDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const stop = path.dirname(path.resolve(first));
  for (let d = path.resolve(dir); ;) {
    const parent = path.dirname(d);
    await fsyncDir(parent);
    if (parent === stop || parent === d) return;
    d = parent;
  }
}

function highest(listing: Listing): number {
  return listing.finals.reduce((a, b) => Math.max(a, b), -1);
}

async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch {
    // Already gone, or left for the next prune.
  }
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
