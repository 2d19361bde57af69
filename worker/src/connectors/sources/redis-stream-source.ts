/**
 * `redis-stream` source: reads an external stream through one consumer group shared by every
 * worker running the flow (group `tremor:FLOW:SOURCE`, consumer = worker id), so each entry is
 * read by one worker. An entry is acknowledged (XACK) only after its events are appended to their
 * vnodes durably: a worker that dies in between leaves the entries pending, and they are read
 * again, by the same worker when it comes back (its own pending entries first) or by another
 * one that claims entries idle for `claimIdleMs` (XAUTOCLAIM). At least once, never lost.
 *
 * A new group starts at the beginning of the stream: what was written before the flow started is
 * read too (trim the stream to skip history). An entry whose only field is `event` holding a JSON
 * object (what the `redis-stream` sink writes) is that object; any other entry is the object of its
 * fields, values as strings, so entries written by other programs are read as they are.
 */
import Redis from 'ioredis';
import type { Logger } from '../../../../control-plane/src/logger';
import type { Json } from '../../flows/expressions/cel-values';
import type { Distributor } from '../../flows/distribution';
import type { IngestRecord } from '../../flows/ingest-record';

export interface RedisStreamSourceOptions {
  readonly flow: string;
  readonly id: string;
  /** The consumer name: stable across restarts, so a restarted worker finds its pending entries. */
  readonly worker: string;
  readonly url: string;
  readonly stream: string;
  readonly distributor: Distributor;
  /** Appends the records durably, all or nothing; rejects when it cannot (backpressure too). */
  readonly append: (records: readonly IngestRecord[]) => Promise<void>;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Entries per read; default 500. */
  readonly batch?: number;
  /** How long a read waits for new entries; default 1 s (also bounds how long stop can take). */
  readonly blockMs?: number;
  /** Pending entries idle this long belong to a consumer presumed dead; default 30 s. */
  readonly claimIdleMs?: number;
  /** Pause after a failure (Redis down, append refused) before trying again; default 1 s. */
  readonly retryMs?: number;
}

type StreamEntry = [id: string, fields: string[] | null];

export function groupName(flow: string, source: string): string {
  return `tremor:${flow}:${source}`;
}

export class RedisStreamSource {
  private readonly redis: Redis;
  private readonly group: string;
  private readonly batch: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly retryMs: number;
  private stopping = false;
  /** Settles when stop is called: a command in flight is not waited for past that. */
  private readonly stopSignal: Promise<never>;
  private signalStop: () => void = () => {};
  /** Set while a blocking read is outstanding: stop may then cut the connection at once. */
  private reading = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private delivered = 0;
  /** Read this consumer's pending entries before new ones (at start, and after a failure). */
  private ownPending = true;

  constructor(private readonly options: RedisStreamSourceOptions) {
    this.group = groupName(options.flow, options.id);
    this.batch = options.batch ?? 500;
    this.blockMs = options.blockMs ?? 1000;
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.retryMs = options.retryMs ?? 1000;
    // No offline queue: a command while Redis is down fails, and the loop retries after retryMs.
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // How long a closed connection's socket may linger (ioredis waits 2 s by default, which
      // would hold a stopping worker up when Redis is down).
      disconnectTimeout: 200,
    });
    this.redis.on('error', () => {}); // Failures surface through the commands; the loop logs them.
    // A read whose answer was lost with the connection left entries pending for this consumer,
    // and ioredis sends the read again, which reads past them: read the pending ones again.
    this.redis.on('reconnecting', () => (this.ownPending = true));
    this.stopSignal = new Promise<never>((_resolve, reject) => {
      this.signalStop = () => reject(new Error('the source is stopping'));
    });
    this.stopSignal.catch(() => {});
  }

  /** Events appended so far (acknowledged entries). */
  get count(): number {
    return this.delivered;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch in hand (appended and acknowledged), then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.wake?.();
    if (this.reading) this.redis.disconnect();
    await this.loop;
    // Every command of the loop has settled or been given up on: nothing is left to flush.
    this.redis.disconnect();
  }

  private async run(): Promise<void> {
    let claimCursor = '0-0';
    let lastClaimMs = -Infinity;
    while (!this.stopping) {
      try {
        if (this.redis.status === 'wait') await this.command(this.redis.connect());
        await this.ensureGroup();
        // Scheduled on the monotonic clock: the claim interval is real time, not event time.
        if (performance.now() - lastClaimMs >= this.claimIdleMs / 2) {
          const [next, claimed] = await this.claim(claimCursor);
          claimCursor = next;
          if (next === '0-0') lastClaimMs = performance.now();
          await this.deliver(claimed);
        }
        const pendingFirst = this.ownPending;
        const entries = await this.read(pendingFirst ? '0' : '>');
        if (pendingFirst && entries.length === 0) this.ownPending = false;
        await this.deliver(entries);
      } catch (err) {
        if (this.stopping) break;
        // Redis lost the group (restarted without persistence, or the stream was deleted).
        if (String(err).includes('NOGROUP')) this.groupReady = false;
        this.options.logger.warn(
          { flow: this.options.flow, source: this.options.id, err: String(err) },
          'redis-stream source: read or append failed; retrying (the entries stay pending)',
        );
        this.ownPending = true;
        await this.pause(this.retryMs);
      }
    }
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.command(
        this.redis.xgroup('CREATE', this.options.stream, this.group, '0', 'MKSTREAM'),
      );
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    this.reading = true;
    try {
      const res = (await this.command(
        this.redis.xreadgroup(
          'GROUP',
          this.group,
          this.options.worker,
          'COUNT',
          this.batch,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          this.options.stream,
          from,
        ),
      )) as [string, StreamEntry[]][] | null;
      return res?.[0]?.[1] ?? [];
    } finally {
      this.reading = false;
    }
  }

  /** Entries of consumers silent for claimIdleMs become ours; answers the next cursor. */
  private async claim(cursor: string): Promise<[string, StreamEntry[]]> {
    const res = (await this.command(
      this.redis.xautoclaim(
        this.options.stream,
        this.group,
        this.options.worker,
        this.claimIdleMs,
        cursor,
        'COUNT',
        this.batch,
      ),
    )) as [string, StreamEntry[], ...unknown[]];
    return [res[0], res[1]];
  }

  private async deliver(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = this.options.clock();
    const meta = { worker: this.options.worker, flow: this.options.flow, ingest_ts: now };
    const records: IngestRecord[] = [];
    for (const [, fields] of entries) {
      // Null fields: the entry was trimmed away while pending; there is nothing left to read.
      if (fields === null) continue;
      const event = entryEvent(fields);
      const placed = this.options.distributor.place(event, meta);
      records.push({ event, ingest_ts: now, ...placed });
    }
    // Durable first, acknowledged after: a crash in between repeats the entries, never loses them.
    if (records.length > 0) await this.options.append(records);
    await this.command(
      this.redis.xack(this.options.stream, this.group, ...entries.map(([id]) => id)),
    );
    this.delivered += records.length;
  }

  /**
   * A command, given up on when the source stops: ioredis can leave a command unsettled when its
   * connection is cut while it reconnects, and stop must not wait for that.
   */
  private command<T>(pending: Promise<T>): Promise<T> {
    pending.catch(() => {});
    return Promise.race([pending, this.stopSignal]);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export function entryEvent(fields: readonly string[]): Json {
  if (fields.length === 2 && fields[0] === 'event') {
    try {
      const parsed = JSON.parse(fields[1] as string) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Json;
      }
    } catch {
      // Not JSON: read as a plain field below.
    }
  }
  const event: Record<string, Json> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    Object.defineProperty(event, fields[i] as string, {
      value: fields[i + 1],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return event;
}
