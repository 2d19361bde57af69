/**
 * Workers as real processes with three coordinators and a real Redis, on loopback: vnodes spread
 * over the workers, events posted to any worker reach the sink, a worker killed with SIGKILL has
 * its vnodes (and the events waiting for them) taken over, and gets vnodes back when it returns.
 * Timing bounds only catch hangs; failover figures come from the data-plane benchmark.
 */
import Redis from 'ioredis';
import { ProcessCluster, type WorkerProcess } from '../../../local/src/process-cluster';
import { startRedis, type RedisServer } from '../../../local/src/redis-server';
import { tryCall, until } from '../../../control-plane/test/e2e/api-client';

jest.setTimeout(180_000);

const VNODES = 16;
let cluster: ProcessCluster;
let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
  client = new Redis(redis.url);
});

afterAll(async () => {
  await client.quit();
  await redis.stop();
});

afterEach(async () => {
  await cluster.stop();
});

interface VnodeRow {
  readonly vnode: number;
  readonly owner: string | null;
  readonly epoch: number;
}

async function vnodes(api: string): Promise<VnodeRow[] | null> {
  const a = await tryCall(api, 'GET', '/v1/cluster/vnodes');
  if (a.status !== 200) return null;
  const body = a.body as VnodeRow[] | { vnodes: VnodeRow[] };
  return Array.isArray(body) ? body : body.vnodes;
}

/** Waits until the vnodes are spread over exactly `owners`, counts differing by at most one. */
async function balancedOver(api: string, owners: readonly string[]): Promise<Map<string, number>> {
  return withLogs(
    until(`vnodes balanced over ${owners.join(', ')}`, 30_000, async () => {
      const rows = await vnodes(api);
      if (rows?.length !== VNODES) return null;
      const counts = new Map<string, number>();
      for (const r of rows) {
        if (r.owner === null || !owners.includes(r.owner)) return null;
        counts.set(r.owner, (counts.get(r.owner) ?? 0) + 1);
      }
      const values = owners.map((o) => counts.get(o) ?? 0);
      return Math.max(...values) - Math.min(...values) <= 1 ? counts : null;
    }),
  );
}

async function withLogs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await cluster.logTails()}`, { cause: err });
  }
}

async function post(w: WorkerProcess, events: unknown[]): Promise<number> {
  const a = await tryCall(w.api, 'POST', '/v1/flows/e2e/sources/in/events', events, 10_000);
  return a.status;
}

async function delivered(): Promise<Set<number>> {
  const entries = await client.xrange('out:e2e', '-', '+');
  return new Set(entries.map(([, f]) => (JSON.parse(f[1] as string) as { id: number }).id));
}

it('spreads vnodes over workers, delivers events, and moves vnodes when a worker dies', async () => {
  cluster = new ProcessCluster({
    vnodes: VNODES,
    redisUrl: redis.url,
    workerTimeoutMs: 1_000,
    secret: 'workers-e2e',
  });
  const coordinators = await cluster.define(3);
  for (const c of coordinators) cluster.start(c);
  const [w1, w2] = [await cluster.defineWorker(), await cluster.defineWorker()];
  cluster.start(w1);
  cluster.start(w2);
  const api = (coordinators[0] as { api: string }).api;
  await balancedOver(api, ['w1', 'w2']);

  const flow = {
    id: 'e2e',
    sources: [{ id: 'in', kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.key' },
    pipeline: [{ map: '{"id": event.id, "key": event.key, "vnode": meta.vnode}' }],
    sinks: [{ id: 'out', kind: 'redis-stream', config: { stream: 'out:e2e' } }],
  };
  // 503 while the coordinators still learn where the leader's API is: retried.
  await withLogs(
    until('the flow stored', 20_000, async () => {
      const a = await tryCall(api, 'PUT', '/v1/flows/e2e', flow);
      return a.status === 201 || a.status === 200;
    }),
  );

  // Events to both workers; a worker answers 404 until it runs the flow, so post until 202.
  const accepted = new Set<number>();
  const send = async (w: WorkerProcess, from: number, n: number) => {
    const events = Array.from({ length: n }, (_, i) => ({
      id: from + i,
      key: `k${(from + i) % 37}`,
    }));
    await withLogs(
      until(`${w.name} accepting events`, 30_000, async () => (await post(w, events)) === 202),
    );
    for (const e of events) accepted.add(e.id);
  };
  await send(w1, 0, 100);
  await send(w2, 100, 100);
  await withLogs(
    until('the first 200 events in the sink', 30_000, async () => (await delivered()).size === 200),
  );

  // Ingest is for workers: a coordinator answers 421.
  expect((await tryCall(api, 'POST', '/v1/flows/e2e/sources/in/events', { id: -1 })).status).toBe(
    421,
  );

  // w2 dies without warning: its vnodes move to w1, and every accepted event still arrives.
  await cluster.kill(w2, 'SIGKILL');
  await send(w1, 200, 100);
  await balancedOver(api, ['w1']);
  await withLogs(
    until('every accepted event in the sink', 30_000, async () => {
      const got = await delivered();
      return [...accepted].every((id) => got.has(id));
    }),
  );

  // w2 comes back and gets vnodes again.
  cluster.start(w2);
  await balancedOver(api, ['w1', 'w2']);
  await send(w2, 300, 100);
  await withLogs(
    until('the events sent after the return', 30_000, async () => {
      const got = await delivered();
      return [...accepted].every((id) => got.has(id));
    }),
  );
});
