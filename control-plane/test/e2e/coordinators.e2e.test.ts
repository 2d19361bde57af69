/**
 * Coordinators as real processes started through the CLI, on loopback: formation, writes through
 * any node, leader kill and pause, membership changes through the API, and bad peers. Timing
 * bounds here only catch hangs; the failover figures come from scripts/bench-control-plane.
 */
import net from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ProcessCluster, type CoordinatorProcess } from '../../../local/src/process-cluster';
import { DynamoDbSnapshotStore } from '../../src/snapshot-store/dynamodb-snapshot-store';
import {
  FAKE_CREDENTIALS,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../../local/src/dynamodb-local';
import { call, statusOf, tryCall, until } from './api-client';

jest.setTimeout(120_000);

const SECRET = 'e2e-secret-4b1d';

let cluster: ProcessCluster;

afterEach(async () => {
  // E2E_KEEP_DIRS=1 keeps the data dirs and logs of every node for a look afterwards.
  await cluster.stop();
});

async function leaderOf(nodes: readonly CoordinatorProcess[]): Promise<CoordinatorProcess> {
  return withLogs(
    until('a leader every running node agrees on', 20_000, async () => {
      const running = nodes.filter((c) => c.state === 'running');
      const statuses = await Promise.all(running.map((c) => statusOf(c.api)));
      const leaders = new Set(statuses.map((s) => s?.leader ?? null));
      if (leaders.size !== 1) return null;
      const id = [...leaders][0];
      if (id === null || id === undefined) return null;
      const leader = running.find((c) => id === c.address || id.startsWith(`${c.address}#`));
      if (!leader) return null;
      // Followers forward to the leader's API once its record (with the URL) is applied.
      const views = await Promise.all(running.map((c) => tryCall(c.api, 'GET', '/v1/cluster')));
      const known = views.every(
        (v) =>
          v.status === 200 &&
          (v.body as { coordinators: { id: string; api: string | null }[] }).coordinators.some(
            (c) => c.id === id && c.api !== null,
          ),
      );
      return known ? leader : null;
    }),
  );
}

/** A failure carries the tail of every node's log. */
async function withLogs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await cluster.logTails()}`, { cause: err });
  }
}

async function putOk(base: string, key: string, value: unknown): Promise<void> {
  const res = await call(base, 'PUT', `/v1/kv/${key}`, value);
  if (res.status !== 200) {
    throw new Error(
      `PUT ${key} via ${base}: ${res.status} ${JSON.stringify(res.body)}\n${await cluster.logTails()}`,
    );
  }
}

/** Writes until one is accepted; resolves with the milliseconds it took. */
async function writeUntilAccepted(
  nodes: readonly CoordinatorProcess[],
  key: string,
): Promise<number> {
  const t0 = Date.now();
  await until(
    `a write of ${key} to be accepted`,
    30_000,
    async () => {
      for (const c of nodes.filter((n) => n.state === 'running')) {
        const a = await tryCall(c.api, 'PUT', `/v1/kv/${key}`, 'v', 2000);
        if (a.status === 200) return true;
      }
      return null;
    },
    20,
  );
  return Date.now() - t0;
}

describe('coordinators as processes', () => {
  it('three form a cluster; writes go through any node; kill -9 of the leader; restart catches up', async () => {
    cluster = new ProcessCluster({ secret: SECRET });
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    const leader = await leaderOf(nodes);
    const followers = nodes.filter((c) => c !== leader);

    // A write sent to a follower is forwarded, and says who leads.
    const viaFollower = await call(followers[0]!.api, 'PUT', '/v1/kv/greeting', { hello: 'world' });
    expect(viaFollower.status).toBe(200);
    expect(viaFollower.headers.get('x-tremor-leader')).toBe(leader.address);
    for (const c of nodes) {
      const read = await call(c.api, 'GET', '/v1/kv/greeting');
      expect(read.status).toBe(200);
      expect((read.body as { value: unknown }).value).toEqual({ hello: 'world' });
    }
    const clusterView = await call(followers[1]!.api, 'GET', '/v1/cluster');
    expect(clusterView.status).toBe(200);
    const view = clusterView.body as {
      name: string;
      vnodes: number;
      coordinators: { id: string; voter: boolean }[];
    };
    expect(view.name).toBe('e2e');
    expect(view.vnodes).toBe(16);
    expect(view.coordinators.map((c) => c.id).sort()).toEqual(nodes.map((c) => c.address).sort());

    await cluster.kill(leader, 'SIGKILL');
    const took = await writeUntilAccepted(followers, 'after-kill');
    expect(took).toBeLessThan(30_000);
    const newLeader = await leaderOf(followers);
    expect(newLeader).not.toBe(leader);

    cluster.start(leader);
    await until('the restarted node to catch up', 30_000, async () => {
      const a = await tryCall(leader.api, 'GET', '/v1/kv/after-kill?stale=true');
      return a.status === 200;
    });
    const s = await statusOf(leader.api);
    expect(s?.leader).toBe(newLeader.address);
  });

  it('a paused leader is replaced and, resumed, serves no stale read', async () => {
    cluster = new ProcessCluster({ secret: SECRET });
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    const leader = await leaderOf(nodes);
    await putOk(leader.api, 'x', 'old');
    cluster.pause(leader);
    const others = nodes.filter((c) => c !== leader);
    await writeUntilAccepted(others, 'probe');
    const newLeader = await leaderOf(others);
    await putOk(newLeader.api, 'x', 'new');
    cluster.resume(leader);
    // Right after SIGCONT the old leader still believes it leads; a linearizable read through it
    // must still see the new value (ReadIndex needs a quorum, which it no longer has).
    const read = await call(leader.api, 'GET', '/v1/kv/x', undefined, 15_000);
    if (read.status === 200) expect((read.body as { value: unknown }).value).toBe('new');
    else expect(read.status).toBe(503);
    await until('the old leader to follow the new one', 20_000, async () => {
      const s = await statusOf(leader.api);
      return s?.leader === newLeader.address;
    });
    const again = await call(leader.api, 'GET', '/v1/kv/x');
    expect(again.status).toBe(200);
    expect((again.body as { value: unknown }).value).toBe('new');
  });

  it('five shrink to three and grow back to five through the API', async () => {
    cluster = new ProcessCluster({ secret: SECRET });
    const nodes = await cluster.define(5);
    for (const c of nodes) cluster.start(c);
    let leader = await leaderOf(nodes);
    await putOk(leader.api, 'k', 1);
    const removed = nodes.filter((c) => c !== leader).slice(0, 2);
    for (const r of removed) {
      // The member id is the address, or `address#incarnation` for a node whose formation
      // attempt timed out (a loaded machine) and that joined instead of founding.
      const view = await call(leader.api, 'GET', '/v1/cluster');
      const members = (view.body as { coordinators: { id: string; address: string }[] })
        .coordinators;
      const id = members.find((m) => m.address === r.address)?.id ?? r.address;
      const res = await call(
        leader.api,
        'DELETE',
        `/v1/cluster/coordinators/${encodeURIComponent(id)}`,
      );
      expect(res.status).toBe(202);
    }
    for (const r of removed) await cluster.kill(r, 'SIGKILL');
    const remaining = nodes.filter((c) => !removed.includes(c));
    leader = await leaderOf(remaining);
    const voters = async (): Promise<string[]> => {
      const v = await call(leader.api, 'GET', '/v1/cluster');
      return (v.body as { coordinators: { id: string; voter: boolean }[] }).coordinators
        .filter((c) => c.voter)
        .map((c) => c.id);
    };
    expect((await voters()).length).toBe(3);
    // With 3 voters, losing one still leaves a majority.
    await putOk(leader.api, 'k', 2);

    // Two new coordinators (fresh disks) pointed at the cluster, then admitted through the API.
    const fresh = await Promise.all([cluster.defineOne(), cluster.defineOne()]);
    for (const f of fresh) cluster.start(f, remaining.map((c) => c.address).concat(f.address));
    for (const f of fresh) {
      const res = await until(
        `admission of ${f.name}`,
        30_000,
        async () => {
          const a = await tryCall(
            leader.api,
            'POST',
            '/v1/cluster/coordinators',
            { address: f.address },
            10_000,
          );
          return a.status === 202 ? a : null;
        },
        200,
      );
      expect((res.body as { id: string }).id.startsWith(f.address)).toBe(true);
    }
    await until('five voters', 30_000, async () => (await voters()).length === 5);
    for (const f of fresh) {
      await until(`${f.name} to hold the data`, 20_000, async () => {
        const a = await tryCall(f.api, 'GET', '/v1/kv/k?stale=true');
        return a.status === 200 && (a.body as { value: unknown }).value === 2;
      });
    }
  });

  it('a coordinator with the wrong --cluster-secret cannot join; garbage on the cluster port leaves nodes healthy', async () => {
    cluster = new ProcessCluster({ secret: SECRET });
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    const leader = await leaderOf(nodes);

    const intruder = await cluster.defineOne();
    intruder.extraArgs = ['--cluster-secret', 'wrong-secret'];
    cluster.start(intruder, nodes.map((c) => c.address).concat(intruder.address));
    const admit = await call(
      leader.api,
      'POST',
      '/v1/cluster/coordinators',
      { address: intruder.address },
      20_000,
    );
    expect(admit.status).toBeGreaterThanOrEqual(400);
    expect((admit.body as { error: { code: string } }).error.code).toBe(
      'TREMOR_COORDINATOR_UNREACHABLE',
    );
    const ready = await tryCall(intruder.api, 'GET', '/health/ready');
    expect(ready.status).toBe(503);

    // Garbage, an oversized length prefix, and a silent connection, at every node.
    for (const c of nodes) {
      await sendRaw(c.clusterPort, Buffer.from('GET / HTTP/1.1\r\n\r\nthis is not a frame'));
      await sendRaw(c.clusterPort, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await sendRaw(c.clusterPort, Buffer.alloc(0));
    }
    for (const c of nodes) {
      const h = await call(c.api, 'GET', '/health/ready');
      expect(h.status).toBe(200);
    }
    await putOk(leader.api, 'still', 'working');
    const view = await call(leader.api, 'GET', '/v1/cluster');
    expect((view.body as { coordinators: unknown[] }).coordinators).toHaveLength(3);
    const logs = await cluster.log(leader);
    expect(logs).toMatch(/TREMOR_CLUSTER_(AUTH_FAILED|PROTOCOL_ERROR)|protocol error|auth/i);
  });

  it('SIGTERM stops a coordinator gracefully (exit 0, data dir unlocked); it restarts on the same disk', async () => {
    cluster = new ProcessCluster({ secret: SECRET });
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    const leader = await leaderOf(nodes);
    await putOk(leader.api, 'before', 1);
    const follower = nodes.find((c) => c !== leader);
    if (!follower) throw new Error('no follower');
    const exit = follower.exit;
    await cluster.kill(follower, 'SIGTERM');
    expect(await exit).toBe(0);
    expect(await cluster.log(follower)).toContain('shutting down gracefully');
    await putOk(leader.api, 'during', 2);
    cluster.start(follower);
    await until('the restarted node to catch up', 30_000, async () => {
      const a = await tryCall(follower.api, 'GET', '/v1/kv/during?stale=true');
      return a.status === 200;
    });
  });

  it('exits with status 2 and names the flag on a usage error', async () => {
    cluster = new ProcessCluster();
    const [c] = await cluster.define(1);
    if (!c) throw new Error('no node');
    const { spawnSync } = await import('node:child_process');
    const { CLI } = await import('../../../local/src/process-cluster');
    const res = spawnSync(process.execPath, [CLI, 'server', 'run', '--coordinator'], {
      encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--peers');
  });
});

function sendRaw(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      if (bytes.length > 0) s.write(bytes);
      setTimeout(() => s.destroy(), 300);
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

describe('coordinators with DynamoDB snapshots', () => {
  let ddb: DynamoDbLocal;

  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
  });

  afterAll(async () => {
    await ddb?.stop();
  });

  it('snapshots land in DynamoDB Local and a wiped coordinator is restored from them', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    };
    cluster = new ProcessCluster({
      secret: SECRET,
      env,
      args: [
        '--snapshot-store',
        'dynamodb',
        '--dynamodb-create-table',
        '--dynamodb-table',
        'e2e-snapshots',
        '--snapshot-every',
        '50',
      ],
    });
    const nodes = await cluster.define(3);
    for (const c of nodes) cluster.start(c);
    const leader = await leaderOf(nodes);
    for (let i = 0; i < 120; i++) await putOk(leader.api, `key-${i}`, i);

    const store = new DynamoDbSnapshotStore({
      client: new DynamoDBClient({
        endpoint: ddb.endpoint,
        region: 'us-east-1',
        credentials: FAKE_CREDENTIALS,
      }),
      table: 'e2e-snapshots',
      clusterName: 'e2e',
    });
    const snap = await until('a snapshot in DynamoDB', 30_000, () => store.latest(), 200);
    expect(snap.meta.index).toBeGreaterThanOrEqual(50);
    await store.close();

    const victim = nodes.find((c) => c !== leader);
    if (!victim) throw new Error('no follower');
    await cluster.kill(victim, 'SIGKILL');
    await cluster.wipe(victim);
    cluster.start(victim);
    await until('the wiped node to hold the data again', 30_000, async () => {
      const a = await tryCall(victim.api, 'GET', '/v1/kv/key-119?stale=true');
      return a.status === 200;
    });
    expect(await cluster.log(victim)).toContain('restored the latest snapshot from the store');
    // It came back as a new incarnation that replaced its old self: still three voters.
    await until('three voters including the new incarnation', 30_000, async () => {
      const v = await call(leader.api, 'GET', '/v1/cluster');
      const coords = (v.body as { coordinators: { id: string; voter: boolean }[] }).coordinators;
      const voters = coords.filter((c) => c.voter).map((c) => c.id);
      return voters.length === 3 && voters.some((id) => id.startsWith(`${victim.address}#`));
    });
    await putOk(victim.api, 'after-restore', true);
  });
});
