/**
 * A Raft snapshot can outgrow one transport frame (16 MiB) long before the cluster state is
 * unreasonable, and a message over the frame limit is dropped, so the follower it was for would
 * never catch up. Large `snap` messages therefore travel as a series of pushes on one connection
 * (in order, like every message to one peer) and are put back together before the core sees them.
 *
 * The receiver keeps at most one assembly per sender: a new snapshot id replaces an unfinished
 * one, and a chunk out of sequence abandons it (the leader sends the snapshot again later).
 */
import type { Message, SnapshotMeta } from '../raft/types';

export const SNAPSHOT_CHUNK_TOPIC = 'raft.snapshot-chunk';
/** Data bytes per chunk: a quarter of the frame limit leaves room for the envelope. */
export const SNAPSHOT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Snapshots up to this size go in one ordinary message. */
export const CHUNK_SNAPSHOTS_ABOVE = 8 * 1024 * 1024;

interface Header {
  readonly from: string;
  readonly to: string;
  readonly term: number;
  readonly meta: SnapshotMeta;
}

export interface SnapshotChunk {
  readonly id: string;
  readonly seq: number;
  readonly total: number;
  /** On the first chunk only. */
  readonly header?: Header;
  readonly data: Uint8Array;
}

export function needsChunks(m: Message): boolean {
  return m.type === 'snap' && (m.snapshot?.data.length ?? 0) > CHUNK_SNAPSHOTS_ABOVE;
}

export function toChunks(m: Message, id: string): SnapshotChunk[] {
  const s = m.snapshot;
  if (m.type !== 'snap' || s === undefined) throw new Error('only snapshot messages are chunked');
  const total = Math.ceil(s.data.length / SNAPSHOT_CHUNK_BYTES);
  const chunks: SnapshotChunk[] = [];
  for (let seq = 0; seq < total; seq++) {
    const data = s.data.subarray(seq * SNAPSHOT_CHUNK_BYTES, (seq + 1) * SNAPSHOT_CHUNK_BYTES);
    chunks.push({
      id,
      seq,
      total,
      ...(seq === 0 ? { header: { from: m.from, to: m.to, term: m.term, meta: s.meta } } : {}),
      data,
    });
  }
  return chunks;
}

interface Assembly {
  readonly id: string;
  readonly header: Header;
  readonly total: number;
  readonly parts: Uint8Array[];
}

export class SnapshotAssembler {
  private readonly open = new Map<string, Assembly>();

  /** The whole `snap` message once its last chunk from `sender` arrives, else null. */
  accept(sender: string, body: unknown): Message | null {
    const chunk = parseChunk(body);
    if (chunk === null) return null;
    let a = this.open.get(sender);
    if (chunk.seq === 0 && chunk.header !== undefined) {
      if (chunk.header.from !== sender) return null;
      a = { id: chunk.id, header: chunk.header, total: chunk.total, parts: [] };
      this.open.set(sender, a);
    }
    if (a === undefined || a.id !== chunk.id || a.parts.length !== chunk.seq) {
      this.open.delete(sender);
      return null;
    }
    a.parts.push(chunk.data);
    if (a.parts.length < a.total) return null;
    this.open.delete(sender);
    const data = Buffer.concat(a.parts);
    const h = a.header;
    return {
      type: 'snap',
      from: h.from,
      to: h.to,
      term: h.term,
      index: 0,
      logTerm: 0,
      commit: 0,
      snapshot: { meta: h.meta, data: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    };
  }
}

function parseChunk(body: unknown): SnapshotChunk | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (
    typeof b.id !== 'string' ||
    !isCount(b.seq) ||
    !isCount(b.total) ||
    b.seq >= b.total ||
    !(b.data instanceof Uint8Array)
  ) {
    return null;
  }
  let header: Header | undefined;
  if (b.seq === 0) {
    header = parseHeader(b.header) ?? undefined;
    if (header === undefined) return null;
  }
  return { id: b.id, seq: b.seq, total: b.total, data: b.data, ...(header ? { header } : {}) };
}

function parseHeader(v: unknown): Header | null {
  if (typeof v !== 'object' || v === null) return null;
  const h = v as Record<string, unknown>;
  const meta = h.meta as Record<string, unknown> | undefined;
  const conf = meta?.conf as Record<string, unknown> | undefined;
  if (
    typeof h.from !== 'string' ||
    typeof h.to !== 'string' ||
    !isCount(h.term) ||
    meta === undefined ||
    !isCount(meta.index) ||
    !isCount(meta.term) ||
    !isStrings(conf?.voters) ||
    !isStrings(conf?.learners)
  ) {
    return null;
  }
  return {
    from: h.from,
    to: h.to,
    term: h.term,
    meta: {
      index: meta.index,
      term: meta.term,
      conf: { voters: conf?.voters, learners: conf?.learners },
    },
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
