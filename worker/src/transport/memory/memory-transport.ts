/**
 * The in-process event transport of a standalone node: the same contract as the Redis one (the
 * conformance suite runs against both), held in memory. "Durable" here means held by this
 * process: a standalone node that dies loses what it had not delivered, which is why a cluster
 * uses Redis.
 */
import type { Json } from '../../flows/expressions/cel-values';
import type { IngestRecord } from '../../flows/ingest-record';
import { byVnode } from '../entry-codec';
import {
  backpressure,
  DEFAULT_BACKLOG_BOUND,
  FencedError,
  type Checkpoint,
  type DeliveredEntry,
  type Delivery,
  type EventTransport,
  type VnodeLease,
} from '../event-transport';

interface Entry {
  readonly seq: number;
  readonly records: readonly IngestRecord[];
}

/** One (flow, vnode) stream with its single consumer group. */
class VnodeStream {
  /** Appended and not yet trimmed, in append order. */
  entries: Entry[] = [];
  nextSeq = 1;
  /** The highest epoch that took the vnode; -1 before any. */
  epoch = -1;
  /** The last epoch whose owner handed the vnode off (planned move); -1 before any. */
  released = -1;
  /** The last entry handed out as new (the group's last-delivered id). */
  lastDelivered = 0;
  /** Handed out, not acknowledged: seq → event count. */
  readonly pending = new Map<number, number>();
  backlog = 0;
  checkpoint: Checkpoint | null = null;
  private waiters: (() => void)[] = [];

  add(records: readonly IngestRecord[]): void {
    this.entries.push({ seq: this.nextSeq++, records });
    this.backlog += records.length;
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  /** Resolves on the next append or after `ms`, whichever comes first. */
  waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      }, ms);
      this.waiters.push(wake);
    });
  }

  find(seq: number): Entry | undefined {
    return this.entries.find((e) => e.seq === seq);
  }

  /** Drops entries below the oldest one still needed (pending, or not yet handed out). */
  trim(): void {
    let keepFrom = this.lastDelivered + 1;
    for (const seq of this.pending.keys()) keepFrom = Math.min(keepFrom, seq);
    const firstKept = this.entries.findIndex((e) => e.seq >= keepFrom);
    this.entries = firstKept < 0 ? [] : this.entries.slice(firstKept);
  }
}

/**
 * What a standalone node keeps across a graceful restart (memory-transport-file.ts): per stream,
 * the entries not yet acknowledged, the checkpoint and the epochs. Entries acknowledged already
 * are left out, so a restart delivers nothing twice that was delivered before it.
 */
export interface MemoryTransportImage {
  readonly format: 1;
  readonly streams: Readonly<Record<string, StreamImage>>;
}

interface StreamImage {
  readonly nextSeq: number;
  readonly epoch: number;
  readonly released: number;
  readonly checkpoint: Checkpoint | null;
  readonly entries: readonly Entry[];
}

export class MemoryTransport implements EventTransport {
  private readonly streams = new Map<string, VnodeStream>();
  private closed = false;

  constructor(private readonly backlogBound = DEFAULT_BACKLOG_BOUND) {}

  image(): MemoryTransportImage {
    const streams: Record<string, StreamImage> = {};
    for (const [key, s] of this.streams) {
      const entries = s.entries.filter((e) => e.seq > s.lastDelivered || s.pending.has(e.seq));
      streams[key] = {
        nextSeq: s.nextSeq,
        epoch: s.epoch,
        released: s.released,
        checkpoint: s.checkpoint,
        entries,
      };
    }
    return { format: 1, streams };
  }

  /**
   * A transport holding `image`'s streams. Their entries are all new again: the first owner reads
   * them in append order, after the checkpoint they were not yet part of.
   */
  static fromImage(
    image: MemoryTransportImage,
    backlogBound = DEFAULT_BACKLOG_BOUND,
  ): MemoryTransport {
    const transport = new MemoryTransport(backlogBound);
    for (const [key, img] of Object.entries(image.streams)) {
      const s = new VnodeStream();
      s.entries = [...img.entries];
      s.nextSeq = img.nextSeq;
      s.epoch = img.epoch;
      s.released = img.released;
      s.checkpoint = img.checkpoint;
      s.lastDelivered = (img.entries[0]?.seq ?? img.nextSeq) - 1;
      s.backlog = img.entries.reduce((sum, e) => sum + e.records.length, 0);
      transport.streams.set(key, s);
    }
    return transport;
  }

  private stream(flow: string, vnode: number): VnodeStream {
    const key = `${flow}/${vnode}`;
    let s = this.streams.get(key);
    if (s === undefined) {
      s = new VnodeStream();
      this.streams.set(key, s);
    }
    return s;
  }

  append(flow: string, records: readonly IngestRecord[]): Promise<void> {
    this.checkOpen();
    const groups = byVnode(records);
    // Every bound checked before anything is added: all or nothing.
    for (const vnode of groups.keys()) {
      if (this.stream(flow, vnode).backlog >= this.backlogBound) {
        return Promise.reject(backpressure(flow, vnode, this.backlogBound));
      }
    }
    for (const [vnode, group] of groups) this.stream(flow, vnode).add(group);
    return Promise.resolve();
  }

  async acquire(
    flow: string,
    vnode: number,
    owner: string,
    epoch: number,
    awaitReleaseMs = 0,
  ): Promise<VnodeLease> {
    this.checkOpen();
    const s = this.stream(flow, vnode);
    const deadline = Date.now() + awaitReleaseMs;
    while (s.epoch >= 0 && s.epoch < epoch && s.released !== s.epoch && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (epoch < s.epoch) throw new FencedError(flow, vnode, epoch);
    s.epoch = epoch;
    return new MemoryLease(s, flow, vnode, owner, epoch);
  }

  backlog(flow: string, vnode: number): Promise<number> {
    return Promise.resolve(this.streams.get(`${flow}/${vnode}`)?.backlog ?? 0);
  }

  dropFlow(flow: string, vnodeCount: number): Promise<void> {
    for (let v = 0; v < vnodeCount; v++) this.streams.delete(`${flow}/${v}`);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the event transport is closed');
  }
}

class MemoryLease implements VnodeLease {
  readonly checkpoint: Checkpoint | null;
  /** Replay position: pending entries up to here were handed to this lease already. */
  private replayedTo = 0;

  constructor(
    private readonly s: VnodeStream,
    readonly flow: string,
    readonly vnode: number,
    readonly owner: string,
    readonly epoch: number,
  ) {
    this.checkpoint = s.checkpoint;
  }

  async read(maxEntries: number, waitMs: number): Promise<Delivery> {
    this.fence();
    const replay = [...this.s.pending.keys()]
      .filter((seq) => seq > this.replayedTo)
      .sort((a, b) => a - b)
      .slice(0, maxEntries);
    if (replay.length > 0) {
      this.replayedTo = replay[replay.length - 1] as number;
      return { entries: replay.map((seq) => this.delivered(seq)) };
    }
    let fresh = this.fresh(maxEntries);
    if (fresh.length === 0 && waitMs > 0) {
      await this.s.waitForAppend(waitMs);
      this.fence();
      fresh = this.fresh(maxEntries);
    }
    return { entries: fresh };
  }

  // async: a fenced lease's commit rejects like the Redis one, never throws synchronously.
  // eslint-disable-next-line @typescript-eslint/require-await
  async commit(entries: readonly DeliveredEntry[], state: Json): Promise<void> {
    this.fence();
    for (const e of entries) {
      const seq = Number(e.id);
      const count = this.s.pending.get(seq);
      if (count === undefined) continue; // acknowledged already: a repeat changes nothing
      this.s.pending.delete(seq);
      this.s.backlog -= count;
    }
    this.s.checkpoint = { state, epoch: this.epoch };
    this.s.trim();
  }

  release(): Promise<void> {
    if (this.s.epoch === this.epoch) this.s.released = this.epoch;
    return Promise.resolve();
  }

  close(): void {}

  private fresh(maxEntries: number): DeliveredEntry[] {
    const out: DeliveredEntry[] = [];
    for (const e of this.s.entries) {
      if (out.length >= maxEntries) break;
      if (e.seq <= this.s.lastDelivered) continue;
      this.s.pending.set(e.seq, e.records.length);
      this.s.lastDelivered = e.seq;
      this.replayedTo = e.seq;
      out.push({ id: String(e.seq), records: e.records });
    }
    return out;
  }

  private delivered(seq: number): DeliveredEntry {
    const entry = this.s.find(seq);
    if (entry === undefined)
      throw new Error(`pending entry ${seq} was trimmed: a broken invariant`);
    return { id: String(seq), records: entry.records };
  }

  private fence(): void {
    if (this.s.epoch !== this.epoch) throw new FencedError(this.flow, this.vnode, this.epoch);
  }
}
