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
  // AOF with fsync on every write: what "nothing accepted is lost" across a Redis crash needs.
  redis = await startRedis({ appendOnly: true, appendFsync: 'always' });
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
  readonly backlog: number | null;
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

/** The API of the coordinator that leads now (worker reports, such as backlogs, live there). */
async function leaderApi(): Promise<string> {
  return until('a known leader', 20_000, async () => {
    for (const c of cluster.coordinators) {
      const a = await tryCall(c.api, 'GET', '/v1/status');
      const leader = (a.body as { leader?: string | null }).leader;
      const found = cluster.coordinators.find((x) => leader === x.address);
      if (found) return found.api;
    }
    return null;
  });
}

/** A counter or gauge of a node's /metrics, summed over the label sets that match `labels`. */
async function metric(api: string, name: string, labels = ''): Promise<number> {
  const a = await tryCall(api, 'GET', '/metrics');
  const text = typeof a.body === 'string' ? a.body : '';
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels !== '' && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
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

/** Every id in the sink stream, in order, repeats included. */
async function deliveredIds(): Promise<number[]> {
  const entries = await client.xrange('out:e2e', '-', '+');
  return entries.map(([, f]) => (JSON.parse(f[1] as string) as { id: number }).id);
}

async function delivered(): Promise<Set<number>> {
  return new Set(await deliveredIds());
}

const FLOW = {
  id: 'e2e',
  sources: [{ id: 'in', kind: 'http' }],
  distribution: { strategy: 'hash', key: 'event.key' },
  pipeline: [{ map: '{"id": event.id, "key": event.key, "vnode": meta.vnode}' }],
  sinks: [{ id: 'out', kind: 'redis-stream', config: { stream: 'out:e2e' } }],
};

let accepted: Set<number>;

/** Posts `n` events with ids from `from` to `w` until it answers 202 (404 until it runs the flow). */
async function send(w: WorkerProcess, from: number, n: number): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({
    id: from + i,
    key: `k${(from + i) % 37}`,
  }));
  await withLogs(
    until(`${w.name} accepting events`, 30_000, async () => (await post(w, events)) === 202),
  );
  for (const e of events) accepted.add(e.id);
}

async function allAcceptedDelivered(what: string): Promise<void> {
  await withLogs(
    until(what, 30_000, async () => {
      const got = await delivered();
      return [...accepted].every((id) => got.has(id));
    }),
  );
}

/** 3 coordinators and `n` workers, the flow stored, the vnodes balanced over the workers. */
async function setup(n: number): Promise<{ api: string; workers: WorkerProcess[] }> {
  await client.flushall();
  accepted = new Set();
  cluster = new ProcessCluster({
    vnodes: VNODES,
    redisUrl: redis.url,
    workerTimeoutMs: 1_000,
    secret: 'workers-e2e',
  });
  const coordinators = await cluster.define(3);
  for (const c of coordinators) cluster.start(c);
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < n; i++) workers.push(await cluster.defineWorker());
  for (const w of workers) cluster.start(w);
  const api = (coordinators[0] as { api: string }).api;
  await balancedOver(
    api,
    workers.map((w) => w.name),
  );
  // 503 while the coordinators still learn where the leader's API is: retried.
  await withLogs(
    until('the flow stored', 20_000, async () => {
      const a = await tryCall(api, 'PUT', '/v1/flows/e2e', FLOW);
      return a.status === 201 || a.status === 200;
    }),
  );
  return { api, workers };
}

it('spreads vnodes over workers, delivers events, and moves vnodes when a worker dies', async () => {
  const { api, workers } = await setup(2);
  const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
  await send(w1, 0, 100);
  await send(w2, 100, 100);
  await allAcceptedDelivered('the first 200 events in the sink');

  // Status: both workers run the flow; every vnode's owner reports its backlog (drained: 0).
  await withLogs(
    until('both workers reported ready, backlogs reported', 20_000, async () => {
      const flow = await tryCall(api, 'GET', '/v1/flows/e2e');
      const rows = await vnodes(await leaderApi());
      const ready = (flow.body as { deployment?: { workersReady: number } }).deployment;
      return ready?.workersReady === 2 && rows?.every((r) => r.backlog === 0) === true;
    }),
  );

  // Ingest is for workers: a coordinator answers 421.
  expect((await tryCall(api, 'POST', '/v1/flows/e2e/sources/in/events', { id: -1 })).status).toBe(
    421,
  );

  // w2 dies without warning: its vnodes move to w1, and every accepted event still arrives.
  await cluster.kill(w2, 'SIGKILL');
  await send(w1, 200, 100);
  await balancedOver(api, ['w1']);
  await allAcceptedDelivered('every accepted event after the kill');
  expect(await metric(w1.api, 'tremor_vnode_takeovers_total', 'kind="takeover"')).toBeGreaterThan(
    0,
  );
  expect(await metric(w1.api, 'tremor_vnodes_owned')).toBe(VNODES);

  // w2 comes back and gets vnodes again.
  cluster.start(w2);
  await balancedOver(api, ['w1', 'w2']);
  await send(w2, 300, 100);
  await allAcceptedDelivered('the events sent after the return');
});

it('a worker stopped with SIGTERM hands its vnodes off: nothing lost, nothing twice', async () => {
  const { api, workers } = await setup(2);
  const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
  await send(w1, 0, 200);
  await send(w2, 200, 200);
  // Stop w2 while its vnodes may still have events to read; keep sending to w1 meanwhile.
  const stopping = cluster.kill(w2, 'SIGTERM', 20_000);
  for (let k = 0; k < 5; k++) await send(w1, 400 + k * 50, 50);
  await stopping;
  expect(await w2.exit).toBe(0);
  await balancedOver(api, ['w1']);
  await allAcceptedDelivered('every accepted event after the hand-off');
  expect(await metric(w1.api, 'tremor_vnode_takeovers_total', 'kind="handoff"')).toBeGreaterThan(0);
  const ids = await deliveredIds();
  expect(ids.length).toBe(new Set(ids).size);
});

it('Redis crashing and restarting (AOF on) in the middle loses nothing that was accepted', async () => {
  const { workers } = await setup(2);
  let crashed = false;
  const clients = Array.from({ length: 4 }, async (_, c) => {
    for (let k = 0; k < 20; k++) {
      const from = c * 10_000 + k * 50;
      const events = Array.from({ length: 50 }, (_, i) => ({ id: from + i, key: `k${i % 7}` }));
      // 503 while Redis is down: retried until accepted.
      for (let turn = 0; ; turn++) {
        if ((await post(workers[(c + turn) % 2] as WorkerProcess, events)) === 202) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const e of events) accepted.add(e.id);
      if (c === 0 && k === 8 && !crashed) {
        crashed = true;
        await redis.restart();
      }
    }
  });
  await withLogs(Promise.all(clients));
  expect(crashed).toBe(true);
  await allAcceptedDelivered('every accepted event after the Redis restart');
});

it('with no worker up the cluster stands by: flows accepted, held events delivered once one joins', async () => {
  const { api, workers } = await setup(1);
  const [w1] = workers as [WorkerProcess];
  // Events accepted while the flow is paused wait in their streams; then the only worker dies.
  expect((await tryCall(api, 'PATCH', '/v1/flows/e2e', { status: 'paused' })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_000));
  await send(w1, 0, 100);
  await cluster.kill(w1, 'SIGKILL');
  await withLogs(
    until('every vnode unassigned (stand-by)', 20_000, async () => {
      const rows = await vnodes(api);
      return rows?.length === VNODES && rows.every((r) => r.owner === null);
    }),
  );
  // Stand-by still takes flows and changes to them.
  const other = { ...FLOW, id: 'other' };
  expect([200, 201]).toContain((await tryCall(api, 'PUT', '/v1/flows/other', other)).status);
  expect((await tryCall(api, 'PATCH', '/v1/flows/e2e', { status: 'running' })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_000));
  expect((await delivered()).size).toBe(0);
  // A worker joins: it takes every vnode and delivers what waited.
  const w2 = await cluster.defineWorker();
  cluster.start(w2);
  await balancedOver(api, [w2.name]);
  await allAcceptedDelivered('the held events after a worker joined');
});

it('a coordinator leader killed while events flow: workers follow the new leader, nothing lost', async () => {
  const { workers } = await setup(2);
  const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
  await send(w1, 0, 100);
  const leader = await leaderApi();
  const victim = cluster.coordinators.find((c) => c.api === leader);
  await cluster.kill(victim as (typeof cluster.coordinators)[number], 'SIGKILL');
  for (let k = 0; k < 10; k++) await send(k % 2 === 0 ? w1 : w2, 100 + k * 50, 50);
  await allAcceptedDelivered('every event across the leader change');
  const survivor = cluster.coordinators.find((c) => c.state === 'running') as { api: string };
  // The new leader's grace period keeps the heartbeating workers alive: no vnode moved to nobody.
  await balancedOver(survivor.api, ['w1', 'w2']);
});

it('a paused flow holds its events and delivers them on resume', async () => {
  const { api, workers } = await setup(2);
  const [w1] = workers as [WorkerProcess];
  await send(w1, 0, 50);
  await allAcceptedDelivered('the events before the pause');
  expect((await tryCall(api, 'PATCH', '/v1/flows/e2e', { status: 'paused' })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_000)); // the workers stop consuming
  await send(w1, 50, 100);
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await delivered()).size).toBe(50);
  await withLogs(
    until('the held events counted as backlog', 20_000, async () => {
      const rows = await vnodes(await leaderApi());
      return rows !== null && rows.reduce((n, r) => n + (r.backlog ?? 0), 0) === 100;
    }),
  );
  expect((await tryCall(api, 'PATCH', '/v1/flows/e2e', { status: 'running' })).status).toBe(200);
  await allAcceptedDelivered('the held events after the resume');
  const ids = await deliveredIds();
  expect(ids.length).toBe(new Set(ids).size);
});

it('a drained worker gives its vnodes away and stays out until restarted', async () => {
  const { api, workers } = await setup(2);
  const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
  await send(w2, 0, 100);
  expect((await tryCall(api, 'POST', '/v1/cluster/workers/w2/drain')).status).toBe(202);
  await balancedOver(api, ['w1']);
  await withLogs(
    until('w2 left', 20_000, async () => {
      const a = await tryCall(api, 'GET', '/v1/cluster');
      if (a.status !== 200) return false;
      const rows = (a.body as { workers: { id: string; state: string }[] }).workers;
      return rows.find((w) => w.id === 'w2')?.state === 'left';
    }),
  );
  await send(w1, 100, 100);
  await allAcceptedDelivered('every event after the drain');
  const ids = await deliveredIds();
  expect(ids.length).toBe(new Set(ids).size);
  // Still running, it takes nothing back on its own.
  await new Promise((r) => setTimeout(r, 2_000));
  await balancedOver(api, ['w1']);
  expect(w2.state).toBe('running');
});

it('a frozen worker declared dead cannot acknowledge once it resumes; it rejoins', async () => {
  const { api, workers } = await setup(2);
  const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
  await send(w2, 0, 100);
  cluster.pause(w2);
  await balancedOver(api, ['w1']);
  await send(w1, 100, 100);
  cluster.resume(w2);
  await balancedOver(api, ['w1', 'w2']);
  await send(w2, 200, 100);
  await allAcceptedDelivered('every event around the freeze');
  const log = await cluster.log(w2);
  expect(log).toMatch(/declared dead; joining again|a newer owner holds it/);
});

it('100,000 events to three workers, one killed and restarted: nothing lost, throttle exact, order per key', async () => {
  const { api, workers } = await setup(3);
  const RATE = 40;
  const throttled = {
    id: 'e2e',
    sources: [{ id: 'in', kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.key' },
    pipeline: [
      { throttle: { key: 'event.key', rate: RATE, interval_ms: 1000 } },
      { map: '{"id": event.id, "key": event.key, "w": meta.ingest_ts / 1000}' },
    ],
    sinks: [
      { id: 'out', kind: 'redis-stream', config: { stream: 'out:e2e' } },
      { id: 'over', from: 'overflow', kind: 'redis-stream', config: { stream: 'over:e2e' } },
    ],
  };
  expect([200, 201]).toContain((await tryCall(api, 'PUT', '/v1/flows/e2e', throttled)).status);
  const victim = workers[2] as WorkerProcess;

  // 8 clients, each with its own 10 keys and its own ids (ascending per key), batches of 100,
  // sequential per client, round-robin over the workers that answer.
  const TOTAL = 100_000;
  const CLIENTS = 8;
  const BATCH = 100;
  const perClient = TOTAL / CLIENTS;
  let sent = 0;
  let killed = false;
  let restarted = false;
  let onKill = (): void => {};
  let onRestart = (): void => {};
  let onBalancedWithout = (): void => {};
  const killedP = new Promise<void>((r) => (onKill = r));
  const balancedWithoutP = new Promise<void>((r) => (onBalancedWithout = r));
  const restartedP = new Promise<void>((r) => (onRestart = r));
  // Balance is checked after each change, while the load goes on.
  const names = workers.map((w) => w.name);
  const balanceChecks = (async () => {
    await killedP;
    await balancedOver(
      api,
      names.filter((n) => n !== victim.name),
    );
    onBalancedWithout();
    await restartedP;
    await balancedOver(api, names);
  })();
  const client$ = async (c: number): Promise<void> => {
    let turn = c;
    for (let from = 0; from < perClient; from += BATCH) {
      const events = Array.from({ length: BATCH }, (_, i) => {
        const n = from + i;
        return { id: c * perClient + n, key: `c${c}-k${n % 10}` };
      });
      for (;;) {
        const w = workers[turn++ % workers.length] as WorkerProcess;
        if (w.state !== 'running') continue;
        const status = await post(w, events);
        if (status === 202) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const e of events) accepted.add(e.id);
      sent += BATCH;
      if (!killed && sent >= TOTAL * 0.3) {
        killed = true;
        void cluster.kill(victim, 'SIGKILL').then(onKill);
      }
      if (killed && !restarted && sent >= TOTAL * 0.7) {
        restarted = true;
        // Only once the balance without it was seen, so that both changes are checked.
        await Promise.race([balancedWithoutP, balanceChecks]);
        cluster.start(victim);
        onRestart();
      }
    }
  };
  await withLogs(Promise.all(Array.from({ length: CLIENTS }, (_, c) => client$(c))));
  expect(accepted.size).toBe(TOTAL);
  await balanceChecks;

  type Row = { id: number; key: string; w: number };
  const rows = async (stream: string): Promise<Row[]> =>
    (await client.xrange(stream, '-', '+')).map(([, f]) => JSON.parse(f[1] as string) as Row);
  let out: Row[] = [];
  let over: Row[] = [];
  await withLogs(
    until(
      'every accepted event in out or overflow',
      90_000,
      async () => {
        [out, over] = await Promise.all([rows('out:e2e'), rows('over:e2e')]);
        const got = new Set([...out, ...over].map((r) => r.id));
        return [...accepted].every((id) => got.has(id));
      },
      500,
    ),
  );

  // Throttle: per key and window, at most RATE distinct ids passed.
  const passed = new Map<string, Set<number>>();
  for (const r of out) {
    const k = `${r.key}@${r.w}`;
    const ids = passed.get(k) ?? new Set<number>();
    ids.add(r.id);
    passed.set(k, ids);
  }
  const worst = Math.max(...[...passed.values()].map((s) => s.size));
  expect(worst).toBeLessThanOrEqual(RATE);

  // Order per key among first deliveries, in each stream.
  for (const stream of [out, over]) {
    const seen = new Set<number>();
    const last = new Map<string, number>();
    for (const r of stream) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      expect(r.id).toBeGreaterThan(last.get(r.key) ?? -1);
      last.set(r.key, r.id);
    }
  }
});

it('refuses a worker of another vnode count (exit status 2, both values named) or cluster name', async () => {
  await setup(1);
  const wrongCount = await cluster.defineWorker();
  wrongCount.extraArgs = ['--no-of-vnodes', '32'];
  const wrongName = await cluster.defineWorker();
  wrongName.extraArgs = ['--cluster-name', 'another'];
  cluster.start(wrongCount);
  cluster.start(wrongName);
  expect(await wrongCount.exit).toBe(2);
  expect(await cluster.log(wrongCount)).toMatch(/32[^\n]*16|16[^\n]*32/);
  // Another cluster name is refused by the cluster transport's handshake: the worker logs the
  // refusal as an error at every attempt (the coordinators may be the misconfigured side).
  await withLogs(
    until('the refusal logged', 20_000, async () =>
      /cluster handshake refused[^\n]*another|another[^\n]*cluster handshake refused/.test(
        await cluster.log(wrongName),
      ),
    ),
  );
  await cluster.kill(wrongName, 'SIGKILL');
});
