/**
 * The load on our side: JSON arrays of events POSTed to the workers' http source over keep-alive
 * connections (raw-http.ts: the load tool shares the 2 cores with what it measures).
 *
 * - closed loop: `connections` clients, each sending its next request when the last is answered,
 *   client i to worker i mod workers, while a gate allows it (see DataPlaneOptions.window);
 * - open loop: requests at a fixed rate whatever the answers (for latency at a given load, and
 *   during the kills), each to the next live worker.
 *
 * A request counts as accepted on 202 only (CONTRACT §3: all its events durably appended).
 */
import http from 'node:http';
import { FLOW_ID, SOURCE_ID, type EventMaker } from './events';
import { RawHttpPool } from './raw-http';
import { sleep } from '../util';

export interface IngestTarget {
  readonly name: string;
  readonly api: string;
  /** False while the worker is known to be down: requests go to the others. */
  readonly live: () => boolean;
}

export class LoadCounters {
  requests = 0;
  acceptedRequests = 0;
  acceptedEvents = 0;
  /** Events in requests sent and not yet answered. */
  pendingEvents = 0;
  /** Answers other than 202, by status; 0 = no answer (refused, reset, timed out). */
  readonly refused: Record<string, number> = {};
  /** Milliseconds from sending a request to its 202. */
  readonly ackMs: number[] = [];

  refusedTotal(): number {
    return Object.values(this.refused).reduce((a, b) => a + b, 0);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const pools = new Map<string, RawHttpPool>();

function pool(api: string): RawHttpPool {
  let p = pools.get(api);
  if (p === undefined) {
    p = new RawHttpPool(api);
    pools.set(api, p);
  }
  return p;
}

export function closeClients(): void {
  agent.destroy();
  for (const p of pools.values()) p.close();
  pools.clear();
}

/** POSTs `body` (JSON) to `url`; resolves with the status, 0 when no answer came. */
export function postJson(url: string, body: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(0));
    req.end(body);
  });
}

const INGEST_PATH = `/v1/flows/${FLOW_ID}/sources/${SOURCE_ID}/events`;

export const ingestUrl = (api: string): string => `${api}${INGEST_PATH}`;

/** Hands out event ids, so that every event of the run has its own. */
export class Ids {
  private next = 0;
  take(n: number): number {
    const first = this.next;
    this.next += n;
    return first;
  }
}

export interface Sender {
  readonly maker: EventMaker;
  readonly ids: Ids;
  readonly counters: LoadCounters;
  /** Called for every accepted request with its events' ids: `first` to `first + n - 1`. */
  readonly onAccepted?: (first: number, n: number) => void;
}

/**
 * One request of `n` new events. `sentAt` is the time the request was due: an open loop that
 * falls behind still measures from when it should have sent (no coordinated omission).
 */
async function sendOne(
  s: Sender,
  target: IngestTarget,
  n: number,
  sentAt?: number,
): Promise<number> {
  const first = s.ids.take(n);
  const body = s.maker.json(first, n, sentAt);
  const c = s.counters;
  c.requests++;
  c.pendingEvents += n;
  const started = performance.now();
  const status = await pool(target.api).post(INGEST_PATH, body);
  c.pendingEvents -= n;
  if (status === 202) {
    c.acceptedRequests++;
    c.acceptedEvents += n;
    c.ackMs.push(performance.now() - started);
    s.onAccepted?.(first, n);
  } else {
    c.refused[String(status)] = (c.refused[String(status)] ?? 0) + 1;
  }
  return status;
}

export interface ClosedLoopOptions extends Sender {
  readonly targets: readonly IngestTarget[];
  readonly connections: number;
  readonly batch: number;
  /** Clients stop sending at this time (Date.now()). */
  readonly untilMs: number;
  /** Whether a client may send now; it waits 1 ms and asks again when not. */
  readonly maySend?: () => boolean;
}

export async function closedLoop(o: ClosedLoopOptions): Promise<void> {
  const client = async (i: number): Promise<void> => {
    const target = o.targets[i % o.targets.length] as IngestTarget;
    while (Date.now() < o.untilMs) {
      if (o.maySend !== undefined && !o.maySend()) {
        await sleep(1);
        continue;
      }
      const status = await sendOne(o, target, o.batch);
      if (status !== 202) await sleep(status === 0 ? 100 : 20);
    }
  };
  await Promise.all(Array.from({ length: o.connections }, (_, i) => client(i)));
}

export interface OpenLoopOptions extends Sender {
  readonly targets: readonly IngestTarget[];
  readonly eventsPerSecond: number;
  readonly batch: number;
  /** Requests in flight beyond this are not sent (counted as `skipped`). */
  readonly maxInFlight?: number;
}

/** Sends at a fixed rate until `stop()`; `done()` waits for the requests in flight. */
export class OpenLoop {
  private stopped = false;
  private inFlight = new Set<Promise<number>>();
  private readonly loop: Promise<void>;
  private nextTarget = 0;
  skipped = 0;

  constructor(private readonly o: OpenLoopOptions) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const perRequestMs = (1000 * this.o.batch) / this.o.eventsPerSecond;
    const started = performance.now();
    const startedAt = Date.now();
    let sent = 0;
    while (!this.stopped) {
      const due = Math.floor((performance.now() - started) / perRequestMs) + 1;
      while (sent < due && !this.stopped) {
        sent++;
        const target = this.pick();
        if (target === null || this.inFlight.size >= (this.o.maxInFlight ?? 256)) {
          this.skipped++;
          continue;
        }
        const dueAt = Math.round(startedAt + (sent - 1) * perRequestMs);
        const p = sendOne(this.o, target, this.o.batch, dueAt);
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
      }
      await sleep(Math.max(1, started + sent * perRequestMs - performance.now()));
    }
  }

  private pick(): IngestTarget | null {
    const n = this.o.targets.length;
    for (let k = 0; k < n; k++) {
      const t = this.o.targets[(this.nextTarget + k) % n] as IngestTarget;
      if (t.live()) {
        this.nextTarget = (this.nextTarget + k + 1) % n;
        return t;
      }
    }
    return null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }
}
