import { getWorker, listCoordinators, listWorkers } from '../../src/cluster-state/queries';
import { cmd, cluster } from './fixtures';

describe('coordinator.add / coordinator.remove', () => {
  it('adds a coordinator and lists coordinators by id', () => {
    const r = cluster();
    const data = r.ok(cmd.addCoordinator('c2'));
    expect(data).toEqual({
      coordinator: { id: 'c2', address: 'c2:8139', api: 'http://c2:9898' },
      changed: true,
    });
    r.ok(cmd.addCoordinator('c1'));
    expect(listCoordinators(r.state).map((c) => c.id)).toEqual(['c1', 'c2']);
  });

  it('accepts adding the same coordinator again as a no-op', () => {
    const r = cluster();
    r.ok(cmd.addCoordinator('c1'));
    expect(r.ok(cmd.addCoordinator('c1')).changed).toBe(false);
  });

  it('refuses an existing id with other addresses: TREMOR_COORDINATOR_EXISTS', () => {
    const r = cluster();
    r.ok(cmd.addCoordinator('c1'));
    const refusal = r.refused(
      cmd.addCoordinator('c1', 'elsewhere:8139'),
      'TREMOR_COORDINATOR_EXISTS',
    );
    expect(refusal.details.coordinator.address).toBe('c1:8139');
  });

  it('removes a coordinator, and refuses an unknown one: TREMOR_COORDINATOR_NOT_FOUND', () => {
    const r = cluster();
    r.ok(cmd.addCoordinator('c1'));
    expect(r.ok(cmd.removeCoordinator('c1')).coordinator.id).toBe('c1');
    expect(r.state.coordinators.size).toBe(0);
    const refusal = r.refused(cmd.removeCoordinator('c1'), 'TREMOR_COORDINATOR_NOT_FOUND');
    expect(refusal.details).toEqual({ id: 'c1' });
  });
});

describe('worker.join', () => {
  it('adds an alive worker, stamped with the join revision', () => {
    const r = cluster();
    const data = r.ok(cmd.join('w1'));
    expect(data).toEqual({
      worker: {
        id: 'w1',
        api: 'http://w1:9898',
        state: 'alive',
        joinedAt: r.index,
        lastHeartbeatIndex: r.index,
      },
      rejoined: false,
    });
    expect(getWorker(r.state, 'w1')).toBe(data.worker);
  });

  it('brings back a dead or departed worker, keeping no vnodes it lost', () => {
    const r = cluster(2, ['w1']);
    r.ok(cmd.assign({ vnode: 0, owner: 'w1', expectedEpoch: 0 }));
    r.ok(cmd.leave('w1'));
    const data = r.ok(cmd.join('w1', 2, 'tremor', 'http://new:1'));
    expect(data.rejoined).toBe(true);
    expect(data.worker).toMatchObject({ state: 'alive', api: 'http://new:1', joinedAt: r.index });
    expect(r.state.vnodes[0]).toMatchObject({ owner: null, previousOwners: ['w1'] });
  });

  it('refuses another vnode count, naming both: TREMOR_VNODE_COUNT_MISMATCH', () => {
    const r = cluster(8);
    const refusal = r.refused(cmd.join('w1', 16), 'TREMOR_VNODE_COUNT_MISMATCH');
    expect(refusal.details).toEqual({ current: 8, requested: 16 });
    expect(refusal.message).toContain('16');
    expect(refusal.message).toContain('8');
    expect(r.state.workers.size).toBe(0);
  });

  it('refuses another cluster name: TREMOR_CLUSTER_NAME_MISMATCH', () => {
    const r = cluster(8);
    const refusal = r.refused(cmd.join('w1', 8, 'prod'), 'TREMOR_CLUSTER_NAME_MISMATCH');
    expect(refusal.details).toEqual({ current: 'tremor', requested: 'prod' });
  });
});

describe('worker.set-state', () => {
  it.each([
    ['alive', 'suspect'],
    ['alive', 'dead'],
    ['alive', 'draining'],
    ['suspect', 'alive'],
    ['suspect', 'dead'],
    ['suspect', 'draining'],
    ['draining', 'dead'],
  ] as const)('moves %s to %s', (from, to) => {
    const r = cluster(2, ['w1']);
    if (from !== 'alive') r.ok(cmd.setState('w1', from));
    const data = r.ok(cmd.setState('w1', to));
    expect(data).toMatchObject({ changed: true, worker: { state: to } });
  });

  it.each([
    ['dead', 'alive'],
    ['dead', 'suspect'],
    ['dead', 'draining'],
    ['draining', 'alive'],
    ['draining', 'suspect'],
  ] as const)('refuses %s to %s: TREMOR_WORKER_INVALID_TRANSITION', (from, to) => {
    const r = cluster(2, ['w1']);
    if (from === 'dead') r.ok(cmd.setState('w1', 'dead'));
    if (from === 'draining') r.ok(cmd.setState('w1', 'draining'));
    const refusal = r.refused(cmd.setState('w1', to), 'TREMOR_WORKER_INVALID_TRANSITION');
    expect(refusal.details).toEqual({ id: 'w1', from, to });
    expect(r.state.workers.get('w1')?.state).toBe(from);
  });

  it('refuses any state change of a worker that left', () => {
    const r = cluster(2, ['w1']);
    r.ok(cmd.leave('w1'));
    r.refused(cmd.setState('w1', 'alive'), 'TREMOR_WORKER_INVALID_TRANSITION');
  });

  it('treats the current state as a no-op', () => {
    const r = cluster(2, ['w1']);
    const before = r.state.workers.get('w1');
    expect(r.ok(cmd.setState('w1', 'alive'))).toEqual({ worker: before, changed: false });
  });

  it('records the revision of a return to alive as the last heartbeat', () => {
    const r = cluster(2, ['w1']);
    r.ok(cmd.setState('w1', 'suspect'));
    r.ok(cmd.setState('w1', 'alive'));
    expect(r.state.workers.get('w1')?.lastHeartbeatIndex).toBe(r.index);
  });

  it('refuses an unknown worker: TREMOR_WORKER_NOT_FOUND', () => {
    const refusal = cluster().refused(cmd.setState('nope', 'dead'), 'TREMOR_WORKER_NOT_FOUND');
    expect(refusal.details).toEqual({ id: 'nope' });
  });
});

describe('worker.leave', () => {
  it('marks the worker left and releases its vnodes with bumped epochs', () => {
    const r = cluster(4, ['w1', 'w2']);
    r.ok(
      cmd.assign(
        { vnode: 0, owner: 'w1', expectedEpoch: 0 },
        { vnode: 1, owner: 'w2', expectedEpoch: 0 },
        { vnode: 3, owner: 'w1', expectedEpoch: 0 },
      ),
    );
    const data = r.ok(cmd.leave('w1'));
    expect(data.worker.state).toBe('left');
    expect(data.released).toEqual([
      { vnode: 0, from: 'w1', to: null, epoch: 2 },
      { vnode: 3, from: 'w1', to: null, epoch: 2 },
    ]);
    expect(r.state.vnodes[1]).toMatchObject({ owner: 'w2', epoch: 1 });
    expect(r.state.vnodes[3]).toEqual({ owner: null, epoch: 2, previousOwners: ['w1'] });
  });

  it('is a no-op for a worker that already left', () => {
    const r = cluster(2, ['w1']);
    const first = r.ok(cmd.leave('w1'));
    expect(r.ok(cmd.leave('w1'))).toEqual({ worker: first.worker, released: [] });
  });

  it('keeps the worker listed, in id order', () => {
    const r = cluster(2, ['w2', 'w1']);
    r.ok(cmd.leave('w2'));
    expect(listWorkers(r.state).map((w) => [w.id, w.state])).toEqual([
      ['w1', 'alive'],
      ['w2', 'left'],
    ]);
  });

  it('refuses an unknown worker: TREMOR_WORKER_NOT_FOUND', () => {
    cluster().refused(cmd.leave('nope'), 'TREMOR_WORKER_NOT_FOUND');
  });
});
