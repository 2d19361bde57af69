import { listVnodes, vnodesOwnedBy } from '../../src/cluster-state/queries';
import { PREVIOUS_OWNERS_KEPT } from '../../src/cluster-state/state';
import { cmd, cluster } from './fixtures';

describe('vnode.assign', () => {
  it('moves vnodes, bumping each epoch once, and reports the moves', () => {
    const r = cluster(4, ['w1', 'w2']);
    const data = r.ok(
      cmd.assign(
        { vnode: 2, owner: 'w1', expectedEpoch: 0 },
        { vnode: 0, owner: 'w2', expectedEpoch: 0 },
      ),
    );
    expect(data.moved).toEqual([
      { vnode: 2, from: null, to: 'w1', epoch: 1 },
      { vnode: 0, from: null, to: 'w2', epoch: 1 },
    ]);
    expect(listVnodes(r.state).map((v) => [v.owner, v.epoch])).toEqual([
      ['w2', 1],
      [null, 0],
      ['w1', 1],
      [null, 0],
    ]);
    expect(vnodesOwnedBy(r.state, 'w1')).toEqual([2]);
  });

  it('remembers earlier owners, most recent first, for a returning worker', () => {
    const r = cluster(1, ['w1', 'w2', 'w3']);
    r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 0 }));
    r.ok(cmd.assign({ vnode: 0, owner: 'w2', expectedEpoch: 1 }));
    r.ok(cmd.assign({ vnode: 0, owner: null, expectedEpoch: 2 }));
    r.ok(cmd.assign({ vnode: 0, owner: 'w3', expectedEpoch: 3 }));
    expect(r.state.vnodes[0]).toEqual({ owner: 'w3', epoch: 4, previousOwners: ['w2', 'w1'] });
    // Coming back to w1 takes it out of the list: the current owner is never "previous".
    r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 4 }));
    expect(r.state.vnodes[0]).toEqual({ owner: 'w1', epoch: 5, previousOwners: ['w3', 'w2'] });
  });

  it(`keeps at most ${PREVIOUS_OWNERS_KEPT} previous owners`, () => {
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    const r = cluster(1, ids);
    ids.forEach((owner, epoch) => r.ok(cmd.assign({ vnode: 0, owner, expectedEpoch: epoch })));
    expect(r.state.vnodes[0]?.previousOwners).toEqual(['w5', 'w4', 'w3', 'w2']);
  });

  it('skips a move to the current owner without bumping the epoch', () => {
    const r = cluster(2, ['w1']);
    r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 0 }));
    expect(r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 1 })).moved).toEqual([]);
    expect(r.state.vnodes[0]?.epoch).toBe(1);
  });

  it('refuses a stale plan whole: TREMOR_STALE_EPOCH', () => {
    const r = cluster(4, ['w1', 'w2']);
    r.ok(cmd.assign({ vnode: 1, owner: 'w1', expectedEpoch: 0 }));
    const before = structuredClone(r.state.vnodes);
    const refusal = r.refused(
      cmd.assign(
        { vnode: 0, owner: 'w2', expectedEpoch: 0 },
        { vnode: 1, owner: 'w2', expectedEpoch: 0 },
      ),
      'TREMOR_STALE_EPOCH',
    );
    expect(refusal.details).toEqual({ vnode: 1, expected: 0, current: 1 });
    expect(r.state.vnodes).toEqual(before);
  });

  it.each([-1, 4, 1.5])('refuses vnode %p: TREMOR_VNODE_OUT_OF_RANGE', (vnode) => {
    const r = cluster(4, ['w1']);
    const refusal = r.refused(
      cmd.assign({ vnode, owner: 'w1', expectedEpoch: 0 }),
      'TREMOR_VNODE_OUT_OF_RANGE',
    );
    expect(refusal.details).toEqual({ vnode, vnodeCount: 4 });
  });

  it('refuses a vnode moved twice in one batch: TREMOR_COMMAND_INVALID', () => {
    const r = cluster(4, ['w1', 'w2']);
    r.refused(
      cmd.assign(
        { vnode: 0, owner: 'w1', expectedEpoch: 0 },
        { vnode: 0, owner: 'w2', expectedEpoch: 0 },
      ),
      'TREMOR_COMMAND_INVALID',
    );
    expect(r.state.vnodes[0]?.owner).toBeNull();
  });

  it('refuses an unknown worker: TREMOR_WORKER_NOT_FOUND', () => {
    const r = cluster(4, ['w1']);
    r.refused(cmd.assign({ vnode: 0, owner: 'w9', expectedEpoch: 0 }), 'TREMOR_WORKER_NOT_FOUND');
  });

  it.each(['suspect', 'dead', 'draining'] as const)(
    'refuses a %s worker: TREMOR_WORKER_NOT_ASSIGNABLE',
    (state) => {
      const r = cluster(4, ['w1']);
      r.ok(cmd.setState('w1', state));
      const refusal = r.refused(
        cmd.assign({ vnode: 3, owner: 'w1', expectedEpoch: 0 }),
        'TREMOR_WORKER_NOT_ASSIGNABLE',
      );
      expect(refusal.details).toEqual({ id: 'w1', state, vnode: 3 });
    },
  );

  it('refuses a worker that left: TREMOR_WORKER_NOT_ASSIGNABLE', () => {
    const r = cluster(4, ['w1']);
    r.ok(cmd.leave('w1'));
    r.refused(
      cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 0 }),
      'TREMOR_WORKER_NOT_ASSIGNABLE',
    );
  });

  it('moves vnodes away from a dead worker, which is how its vnodes leave it', () => {
    const r = cluster(2, ['w1', 'w2']);
    r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 0 }));
    r.ok(cmd.setState('w1', 'dead'));
    expect(r.state.vnodes[0]?.owner).toBe('w1');
    r.ok(cmd.assign({ vnode: 0, owner: 'w2', expectedEpoch: 1 }));
    expect(r.state.vnodes[0]).toEqual({ owner: 'w2', epoch: 2, previousOwners: ['w1'] });
  });

  it('accepts an empty batch', () => {
    expect(cluster(2).ok(cmd.assign()).moved).toEqual([]);
  });
});
