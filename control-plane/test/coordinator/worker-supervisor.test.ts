/**
 * The leader's failure detector, drain completion and placement, driven round by round with a
 * clock the test sets, against the real state machine (commands applied as Raft would).
 */
import { apply } from '../../src/cluster-state/apply';
import { COMMAND_VERSION, type ApplyResult, type Command } from '../../src/cluster-state/commands';
import { createClusterState, type ClusterState } from '../../src/cluster-state/state';
import { SILENT_LOGGER } from '../../src/logger';
import { WorkerSupervisor } from '../../src/coordinator/worker-supervisor';

const TIMEOUT = 1_000;

function harness(vnodeCount = 8) {
  const state: ClusterState = createClusterState();
  let index = 0;
  let leader = true;
  let now = 0;
  let revision = 0;
  const proposed: Command[] = [];
  const run = <C extends Command>(cmd: C): ApplyResult<C['kind']> => {
    const result = apply(state, cmd, ++index);
    if (result.ok && !cmd.kind.startsWith('kv.')) revision = index;
    return result;
  };
  run({ v: COMMAND_VERSION, kind: 'bootstrap', name: 't', vnodeCount });
  const supervisor = new WorkerSupervisor({
    state: () => state,
    viewRevision: () => revision,
    isLeader: () => leader,
    propose: <C extends Command>(cmd: C) => {
      proposed.push(cmd);
      return Promise.resolve(run(cmd));
    },
    clock: () => now,
    workerTimeoutMs: TIMEOUT,
    logger: SILENT_LOGGER,
  });
  const join = (id: string) => {
    run({
      v: COMMAND_VERSION,
      kind: 'worker.join',
      id,
      api: `http://${id}`,
      clusterName: 't',
      vnodeCount,
    });
    supervisor.heard(id);
  };
  const owners = () => {
    const counts: Record<string, number> = {};
    for (const v of state.vnodes) counts[String(v.owner)] = (counts[String(v.owner)] ?? 0) + 1;
    return counts;
  };
  return {
    state,
    supervisor,
    proposed,
    join,
    run,
    owners,
    at: (ms: number) => (now = ms),
    setLeader: (v: boolean) => (leader = v),
    stateOf: (id: string) => state.workers.get(id)?.state,
  };
}

describe('worker supervisor (leader)', () => {
  it('places vnodes over alive workers, balanced, and plans nothing more once settled', async () => {
    const h = harness();
    h.join('w1');
    h.join('w2');
    await h.supervisor.check();
    expect(h.owners()).toEqual({ w1: 4, w2: 4 });
    const before = h.proposed.length;
    await h.supervisor.check();
    expect(h.proposed.length).toBe(before);
  });

  it('a silent worker is suspect after half the timeout, dead after all of it, and its vnodes move', async () => {
    const h = harness();
    h.join('w1');
    h.join('w2');
    await h.supervisor.check();
    h.at(600);
    h.supervisor.heard('w1');
    await h.supervisor.check();
    expect([h.stateOf('w1'), h.stateOf('w2')]).toEqual(['alive', 'suspect']);
    expect(h.owners()).toEqual({ w1: 4, w2: 4 }); // a suspect keeps its vnodes
    h.at(1_100);
    h.supervisor.heard('w1');
    await h.supervisor.check();
    expect(h.stateOf('w2')).toBe('dead');
    expect(h.owners()).toEqual({ w1: 8 });
  });

  it('a suspect that is heard again is alive again', async () => {
    const h = harness();
    h.join('w1');
    await h.supervisor.check();
    h.at(700);
    await h.supervisor.check();
    expect(h.stateOf('w1')).toBe('suspect');
    h.supervisor.heard('w1');
    await h.supervisor.check();
    expect(h.stateOf('w1')).toBe('alive');
  });

  it('a new leader gives every worker one timeout of grace before declaring anyone dead', async () => {
    const h = harness();
    h.join('w1');
    await h.supervisor.check();
    h.setLeader(false);
    h.at(5_000); // long silence while another coordinator led (or the worker beat it)
    await h.supervisor.check();
    expect(h.stateOf('w1')).toBe('alive');
    h.setLeader(true);
    await h.supervisor.check(); // leadership starts at 5,000: grace until 6,000
    h.at(5_400);
    await h.supervisor.check();
    expect(h.stateOf('w1')).toBe('alive');
    h.at(6_100);
    await h.supervisor.check();
    expect(h.stateOf('w1')).toBe('dead');
  });

  it('a draining worker gives its vnodes away, then leaves', async () => {
    const h = harness();
    h.join('w1');
    h.join('w2');
    await h.supervisor.check();
    h.proposed.length = 0;
    h.run({ v: COMMAND_VERSION, kind: 'worker.set-state', id: 'w2', state: 'draining' });
    await h.supervisor.check(); // placement moves w2's vnodes
    await h.supervisor.check(); // w2 owns none: it leaves
    expect(h.owners()).toEqual({ w1: 8 });
    expect(h.stateOf('w2')).toBe('left');
  });

  it('does nothing while it follows', async () => {
    const h = harness();
    h.setLeader(false);
    h.join('w1');
    await h.supervisor.check();
    expect(h.proposed).toEqual([]);
  });
});
