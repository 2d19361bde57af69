import { advanceRevision, apply } from '../../src/cluster-state/apply';
import { createClusterState, MAX_VNODE_COUNT } from '../../src/cluster-state/state';
import { listVnodes } from '../../src/cluster-state/queries';
import { cmd, cluster, Replica } from './fixtures';

describe('bootstrap', () => {
  it('names the cluster and creates every vnode unassigned at epoch 0', () => {
    const r = new Replica();
    expect(r.ok(cmd.bootstrap(4))).toEqual({ name: 'tremor', vnodeCount: 4, changed: true });
    expect(r.state.name).toBe('tremor');
    expect(r.state.vnodeCount).toBe(4);
    expect(listVnodes(r.state)).toEqual(
      [0, 1, 2, 3].map((vnode) => ({ vnode, owner: null, epoch: 0, previousOwners: [] })),
    );
  });

  it('accepts the same bootstrap again without changing anything', () => {
    const r = cluster(4);
    r.ok(cmd.kvPut('k', 1));
    expect(r.ok(cmd.bootstrap(4))).toEqual({ name: 'tremor', vnodeCount: 4, changed: false });
    expect(r.state.vnodes).toHaveLength(4);
    expect(r.state.kv.size).toBe(1);
  });

  it('refuses to change the vnode count: TREMOR_VNODES_FIXED', () => {
    const r = cluster(4);
    const refusal = r.refused(cmd.bootstrap(8), 'TREMOR_VNODES_FIXED');
    expect(refusal.details).toEqual({ current: 4, requested: 8 });
    expect(r.state.vnodeCount).toBe(4);
    expect(r.state.vnodes).toHaveLength(4);
  });

  it('refuses another cluster name: TREMOR_CLUSTER_NAME_MISMATCH', () => {
    const r = cluster(4);
    const refusal = r.refused(cmd.bootstrap(4, 'other'), 'TREMOR_CLUSTER_NAME_MISMATCH');
    expect(refusal.details).toEqual({ current: 'tremor', requested: 'other' });
    expect(r.state.name).toBe('tremor');
  });

  it.each([0, -1, 1.5, MAX_VNODE_COUNT + 1, Number.NaN])(
    'refuses vnode count %p: TREMOR_COMMAND_INVALID',
    (count) => {
      const r = new Replica();
      r.refused(cmd.bootstrap(count), 'TREMOR_COMMAND_INVALID');
      expect(r.state.name).toBeNull();
    },
  );

  it('refuses an empty name: TREMOR_COMMAND_INVALID', () => {
    new Replica().refused(cmd.bootstrap(4, ''), 'TREMOR_COMMAND_INVALID');
  });

  it('refuses every other command before it: TREMOR_NOT_BOOTSTRAPPED', () => {
    const commands = [
      cmd.addCoordinator('c1'),
      cmd.removeCoordinator('c1'),
      cmd.join('w1'),
      cmd.leave('w1'),
      cmd.setState('w1', 'dead'),
      cmd.assign(),
      cmd.putFlow('f'),
      cmd.setFlowStatus('f', 'paused'),
      cmd.deleteFlow('f'),
      cmd.kvPut('k', 1),
      cmd.kvCas('k', null, 1),
      cmd.kvDelete('k'),
    ];
    const r = new Replica();
    for (const command of commands) r.refused(command, 'TREMOR_NOT_BOOTSTRAPPED');
    expect(r.state).toEqual({ ...createClusterState(), appliedRevision: commands.length });
  });
});

describe('applied revision', () => {
  it('is the index of the last applied entry, refused or not', () => {
    const state = createClusterState();
    apply(state, cmd.bootstrap(2), 3);
    expect(state.appliedRevision).toBe(3);
    apply(state, cmd.deleteFlow('missing'), 7);
    expect(state.appliedRevision).toBe(7);
  });

  it('advances for entries without a command', () => {
    const state = createClusterState();
    advanceRevision(state, 5);
    expect(state.appliedRevision).toBe(5);
  });

  it.each([0, 5, 4, 5.5])('throws for index %p after 5: the apply loop is broken', (index) => {
    const state = createClusterState();
    advanceRevision(state, 5);
    expect(() => apply(state, cmd.bootstrap(2), index)).toThrow(/must move forward/);
    expect(state.appliedRevision).toBe(5);
    expect(state.name).toBeNull();
  });
});
