import { COMMAND_VERSION } from '../../src/cluster-state/commands';
import { CommandTooLargeError, NotLeaderError } from '../../src/coordinator/service';
import { InProcessCluster, waitFor } from './in-process-cluster';

jest.setTimeout(60_000);

describe('CoordinatorNode (in process, real WAL and transport)', () => {
  let cluster: InProcessCluster;

  afterEach(async () => {
    await cluster.close();
  });

  it('three founders form one cluster, bootstrap it, register themselves and replicate writes', async () => {
    cluster = new InProcessCluster();
    const members = await cluster.create(3);
    await Promise.all(members.map((m) => m.node.start()));
    const leader = await cluster.waitForLeader();
    const put = await leader.node.propose({
      v: COMMAND_VERSION,
      kind: 'kv.put',
      key: 'a',
      value: 1,
    });
    expect(put.ok).toBe(true);
    await waitFor(
      () =>
        members.every(
          (m) => m.node.state().kv.get('a')?.value === 1 && m.node.state().coordinators.size === 3,
        ),
      10_000,
      'every member to apply the write and list all three coordinators',
    );
    expect(members.map((m) => m.node.state().name)).toEqual(['test', 'test', 'test']);
    expect(members.map((m) => m.node.state().vnodeCount)).toEqual([8, 8, 8]);
    const follower = members.find((m) => m !== leader);
    if (!follower) throw new Error('no follower');
    await expect(
      follower.node.propose({ v: COMMAND_VERSION, kind: 'kv.put', key: 'b', value: 2 }),
    ).rejects.toBeInstanceOf(NotLeaderError);
    const read = await leader.node.linearizableRead();
    expect(read.kv.get('a')?.value).toBe(1);
    expect(
      leader.node
        .members()
        .map((m) => m.role)
        .sort(),
    ).toEqual(['follower', 'follower', 'leader']);
  });

  it('a Raft of one (standalone) answers linearizable reads', async () => {
    cluster = new InProcessCluster();
    const [only] = await cluster.create(1);
    if (!only) throw new Error('no member');
    await only.node.start();
    await cluster.waitForLeader();
    await only.node.propose({ v: COMMAND_VERSION, kind: 'kv.put', key: 'solo', value: 1 });
    const state = await only.node.linearizableRead();
    expect(state.kv.get('solo')?.value).toBe(1);
    // A change no transport frame could carry is refused before it enters the log.
    await expect(
      only.node.propose({
        v: COMMAND_VERSION,
        kind: 'kv.put',
        key: 'big',
        value: 'x'.repeat(5 << 20),
      }),
    ).rejects.toBeInstanceOf(CommandTooLargeError);
  });

  it('elects a new leader when the leader stops, and the old one catches up after a restart', async () => {
    cluster = new InProcessCluster();
    const members = await cluster.create(3);
    await Promise.all(members.map((m) => m.node.start()));
    const first = await cluster.waitForLeader();
    await first.node.propose({ v: COMMAND_VERSION, kind: 'kv.put', key: 'k', value: 'one' });
    await first.node.stop();
    const second = await cluster.waitForLeader(10_000, first);
    const res = await second.node.propose({
      v: COMMAND_VERSION,
      kind: 'kv.put',
      key: 'k',
      value: 'two',
    });
    expect(res.ok).toBe(true);
    await cluster.restart(first);
    await waitFor(
      () => first.node.state().kv.get('k')?.value === 'two',
      10_000,
      'the restarted node to catch up',
    );
    expect(first.node.memberId).toBe(first.address);
  });

  it('a member whose disk was wiped rejoins as a new incarnation and replaces its old self', async () => {
    cluster = new InProcessCluster({ snapshotEvery: 20 });
    const members = await cluster.create(3);
    await Promise.all(members.map((m) => m.node.start()));
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 50; i++) {
      await leader.node.propose({ v: COMMAND_VERSION, kind: 'kv.put', key: `k${i}`, value: i });
    }
    const victim = members.find((m) => m !== leader);
    if (!victim) throw new Error('no follower');
    await cluster.restartWithEmptyDisk(victim);
    const newId = victim.node.memberId;
    expect(newId).not.toBe(victim.address);
    expect(newId.startsWith(`${victim.address}#`)).toBe(true);
    const current = await cluster.waitForLeader();
    await waitFor(
      () => {
        const conf = current.node.raft?.node.conf;
        return (
          conf !== undefined &&
          conf.voters.includes(newId) &&
          !conf.voters.includes(victim.address) &&
          conf.voters.length === 3
        );
      },
      20_000,
      'the new incarnation to replace the old voter',
    );
    await waitFor(
      () => victim.node.state().kv.get('k49')?.value === 49,
      10_000,
      'the new incarnation to catch up',
    );
    const later = await (
      await cluster.waitForLeader()
    ).node.propose({ v: COMMAND_VERSION, kind: 'kv.put', key: 'after', value: true });
    expect(later.ok).toBe(true);
  });

  it('a follower catches up from a snapshot larger than one transport frame', async () => {
    cluster = new InProcessCluster({ snapshotEvery: 5 });
    const members = await cluster.create(3);
    await Promise.all(members.map((m) => m.node.start()));
    const leader = await cluster.waitForLeader();
    const big = 'v'.repeat(3_500_000);
    // Ten values: a snapshot every 5 entries covers at least six of them (over 16 MiB).
    for (let i = 0; i < 10; i++) {
      const res = await leader.node.propose({
        v: COMMAND_VERSION,
        kind: 'kv.put',
        key: `big${i}`,
        value: `${i}${big}`,
      });
      expect(res.ok).toBe(true);
    }
    // ~35 MB of state: only the chunked path can carry it to a node that has nothing.
    const victim = members.find((m) => m !== leader);
    if (!victim) throw new Error('no follower');
    await cluster.restartWithEmptyDisk(victim);
    await waitFor(
      () => {
        const v = victim.node.state().kv.get('big9')?.value;
        return typeof v === 'string' && v.startsWith('9v');
      },
      30_000,
      'the wiped node to receive the large snapshot',
    );
    expect(victim.node.raft?.node.log.snapshot?.data.length ?? 0).toBeGreaterThan(16 * 1024 * 1024);
  });
});
