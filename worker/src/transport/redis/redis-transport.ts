/**
 * The event transport on Redis streams (DESIGN: "Event transport"): one stream per (flow, vnode),
 * entries batching the records of one append, one consumer group whose consumers are the owners.
 * Every owner-side step is a fenced Lua script (scripts.ts); waiting for new entries is a plain
 * blocking XREAD on a connection of the lease's own, which changes nothing in Redis.
 */
import Redis from 'ioredis';
import type { Json } from '../../flows/expressions/cel-values';
import type { IngestRecord } from '../../flows/ingest-record';
import { byVnode, decodeEntry, encodeEntry } from '../entry-codec';
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
import { OWNER_GROUP, vnodeKeys, type VnodeKeys } from './redis-keys';
import { ACQUIRE, APPEND, COMMIT, READ, RELEASE } from './scripts';

type Entries = [id: string, fields: string[] | null][];
type ReadReply = [stream: string, entries: Entries][] | null;

interface Scripts {
  tremorAppend(numKeys: number, ...args: (string | number)[]): Promise<number>;
  tremorAcquire(numKeys: number, ...args: (string | number)[]): Promise<string | null>;
  tremorRead(numKeys: number, ...args: (string | number)[]): Promise<ReadReply>;
  tremorCommit(numKeys: number, ...args: (string | number)[]): Promise<number>;
  tremorRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

type ScriptedRedis = Redis & Scripts;

export interface RedisTransportOptions {
  readonly url: string;
  readonly backlogBound?: number;
}

export class RedisTransport implements EventTransport {
  private readonly redis: ScriptedRedis;
  private readonly backlogBound: number;
  private readonly leases = new Set<RedisLease>();
  private reconnects = 0;

  constructor(options: RedisTransportOptions) {
    this.backlogBound = options.backlogBound ?? DEFAULT_BACKLOG_BOUND;
    this.redis = withScripts(new Redis(options.url, { maxRetriesPerRequest: 2 }));
    this.redis.on('error', () => {}); // Failures surface through the commands that hit them.
    // A read Redis ran but whose answer was lost with the connection leaves its entries pending
    // for the owner, and ioredis sends the read again, which reads past them: after every
    // reconnect, leases read their pending lists again (see RedisLease.read).
    this.redis.on('reconnecting', () => this.reconnects++);
  }

  async append(flow: string, records: readonly IngestRecord[]): Promise<void> {
    const groups = [...byVnode(records)];
    if (groups.length === 0) return;
    const keys: string[] = [];
    const args: (string | number)[] = [this.backlogBound];
    for (const [vnode, group] of groups) {
      const k = vnodeKeys(flow, vnode);
      keys.push(k.events, k.backlog);
      args.push(encodeEntry(group), group.length);
    }
    // Answered only after Redis applied the script: as durable as Redis is configured to be
    // (appendfsync), which is what "accepted" promises (docs/operations.md).
    const over = await this.redis.tremorAppend(keys.length, ...keys, ...args);
    if (over > 0) {
      throw backpressure(flow, (groups[over - 1] as [number, unknown])[0], this.backlogBound);
    }
  }

  async acquire(
    flow: string,
    vnode: number,
    owner: string,
    epoch: number,
    awaitReleaseMs = 0,
  ): Promise<VnodeLease> {
    const k = vnodeKeys(flow, vnode);
    await this.awaitRelease(k, epoch, awaitReleaseMs);
    let saved: string | null;
    try {
      saved = await this.redis.tremorAcquire(
        3,
        k.epoch,
        k.events,
        k.checkpoint,
        epoch,
        OWNER_GROUP,
        owner,
      );
    } catch (err) {
      throw fenced(err, flow, vnode, epoch);
    }
    const checkpoint = saved === null ? null : (JSON.parse(saved) as Checkpoint);
    const lease = new RedisLease(
      this.redis,
      k,
      flow,
      vnode,
      owner,
      epoch,
      checkpoint,
      () => this.reconnects,
      (l) => this.leases.delete(l),
    );
    this.leases.add(lease);
    return lease;
  }

  /** Polls until the vnode's holder released it, nobody held it, or `ms` passed. */
  private async awaitRelease(k: VnodeKeys, epoch: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const [held, released] = await this.redis.mget(k.epoch, k.released);
      if (held === null || Number(held) >= epoch || held === released) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async backlog(flow: string, vnode: number): Promise<number> {
    return Number((await this.redis.get(vnodeKeys(flow, vnode).backlog)) ?? 0);
  }

  async dropFlow(flow: string, vnodeCount: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (let v = 0; v < vnodeCount; v++) {
      const k = vnodeKeys(flow, v);
      pipeline.del(k.events, k.epoch, k.backlog, k.checkpoint, k.released);
    }
    await pipeline.exec();
  }

  async close(): Promise<void> {
    for (const lease of [...this.leases]) lease.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

class RedisLease implements VnodeLease {
  /** Where reading this owner's pending entries has got to; null once they are all read. */
  private pendingFrom: string | null = '0';
  /** A connection for blocking XREAD, opened on the first wait. */
  private waiter: Redis | null = null;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: VnodeKeys,
    readonly flow: string,
    readonly vnode: number,
    private readonly owner: string,
    readonly epoch: number,
    readonly checkpoint: Checkpoint | null,
    private readonly reconnects: () => number,
    private readonly onClose: (lease: RedisLease) => void,
  ) {
    this.seenReconnects = reconnects();
  }

  private seenReconnects: number;

  async read(maxEntries: number, waitMs: number): Promise<Delivery> {
    // The consumer reads only once its previous batch is acknowledged, so whatever is pending for
    // this owner now was read by a call whose answer was lost: read it again, from the start.
    const reconnects = this.reconnects();
    if (reconnects !== this.seenReconnects) {
      this.seenReconnects = reconnects;
      this.pendingFrom = '0';
    }
    if (this.pendingFrom !== null) {
      const replay = await this.readFrom(this.pendingFrom, maxEntries);
      const last = replay[replay.length - 1];
      if (last !== undefined) {
        this.pendingFrom = last.id;
        return { entries: replay };
      }
      this.pendingFrom = null;
    }
    let entries = await this.readFrom('>', maxEntries);
    if (entries.length === 0 && waitMs > 0) {
      await this.waitForAppend(waitMs);
      entries = await this.readFrom('>', maxEntries);
    }
    return { entries };
  }

  async commit(entries: readonly DeliveredEntry[], state: Json): Promise<void> {
    const checkpoint = JSON.stringify({ state, epoch: this.epoch } satisfies Checkpoint);
    const args: (string | number)[] = [this.epoch, OWNER_GROUP, checkpoint];
    for (const e of entries) args.push(e.id, e.records.length);
    const k = this.keys;
    try {
      await this.redis.tremorCommit(4, k.epoch, k.events, k.backlog, k.checkpoint, ...args);
    } catch (err) {
      throw fenced(err, this.flow, this.vnode, this.epoch);
    }
  }

  async release(): Promise<void> {
    await this.redis.tremorRelease(2, this.keys.epoch, this.keys.released, this.epoch);
  }

  close(): void {
    this.waiter?.disconnect();
    this.waiter = null;
    this.onClose(this);
  }

  private async readFrom(from: string, count: number): Promise<DeliveredEntry[]> {
    let reply: ReadReply;
    try {
      reply = await this.redis.tremorRead(
        2,
        this.keys.epoch,
        this.keys.events,
        this.epoch,
        OWNER_GROUP,
        this.owner,
        count,
        from,
      );
    } catch (err) {
      // A read whose answer was lost may have left entries pending: read them again next time.
      this.pendingFrom = '0';
      throw fenced(err, this.flow, this.vnode, this.epoch);
    }
    const out: DeliveredEntry[] = [];
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      // Null fields: trimmed while pending, which the commit script never does; skip defensively.
      if (fields === null) continue;
      out.push({ id, records: decodeEntry(fields[1] as string, this.vnode) });
    }
    return out;
  }

  /**
   * Waits for an entry after the group's last-delivered one (so an append that lands between
   * the empty read and this wait is not missed), or `ms`.
   */
  private async waitForAppend(ms: number): Promise<void> {
    if (this.waiter === null) {
      this.waiter = this.redis.duplicate();
      this.waiter.on('error', () => {}); // A failed wait only ends the wait early.
    }
    const groups = (await this.waiter.xinfo('GROUPS', this.keys.events)) as (string | number)[][];
    const owners = groups.find((g) => g[g.indexOf('name') + 1] === OWNER_GROUP) ?? [];
    const after = String(owners[owners.indexOf('last-delivered-id') + 1] ?? '0-0');
    await this.waiter.xread(
      'COUNT',
      1,
      'BLOCK',
      Math.max(1, ms),
      'STREAMS',
      this.keys.events,
      after,
    );
  }
}

function withScripts(redis: Redis): ScriptedRedis {
  redis.defineCommand('tremorAppend', { lua: APPEND });
  redis.defineCommand('tremorAcquire', { lua: ACQUIRE });
  redis.defineCommand('tremorRead', { lua: READ });
  redis.defineCommand('tremorCommit', { lua: COMMIT });
  redis.defineCommand('tremorRelease', { lua: RELEASE });
  return redis as ScriptedRedis;
}

function fenced(err: unknown, flow: string, vnode: number, epoch: number): Error {
  if (err instanceof Error && /\bFENCED\b/.test(err.message)) {
    return new FencedError(flow, vnode, epoch);
  }
  return err instanceof Error ? err : new Error(String(err));
}
