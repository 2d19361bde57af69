import { pack } from 'msgpackr';
import { restore, snapshot, SnapshotError, SNAPSHOT_FORMAT } from '../../src/cluster-state/codec';
import { createClusterState } from '../../src/cluster-state/state';
import { cmd, cluster } from './fixtures';

function populated() {
  const r = cluster(4, ['w2', 'w1', 'w3']);
  r.ok(cmd.addCoordinator('c2'));
  r.ok(cmd.addCoordinator('c1'));
  r.ok(
    cmd.assign(
      { vnode: 0, owner: 'w1', expectedEpoch: 0 },
      { vnode: 1, owner: 'w2', expectedEpoch: 0 },
      { vnode: 2, owner: 'w3', expectedEpoch: 0 },
    ),
  );
  r.ok(cmd.leave('w3'));
  r.ok(cmd.setState('w2', 'suspect'));
  r.ok(cmd.putFlow('z', { id: 'z', nested: { deep: [1, 2] } }));
  r.ok(cmd.putFlow('a', { id: 'a' }));
  r.ok(cmd.setFlowStatus('a', 'paused'));
  r.ok(cmd.kvPut('y', { __note: 'x', n: -1.5 }));
  r.ok(cmd.kvPut('x', null));
  return r;
}

const restoreError = (bytes: Uint8Array): SnapshotError => {
  try {
    restore(bytes);
  } catch (error) {
    if (error instanceof SnapshotError) return error;
    throw error;
  }
  throw new Error('restore accepted the bytes');
};

describe('snapshot / restore', () => {
  it('round-trips a fresh state', () => {
    const state = createClusterState();
    expect(restore(snapshot(state))).toStrictEqual(state);
  });

  it('round-trips a populated state exactly', () => {
    const { state } = populated();
    const bytes = snapshot(state);
    const restored = restore(bytes);
    expect(restored).toStrictEqual(state);
    expect(snapshot(restored)).toEqual(bytes);
  });

  it('gives equal bytes for equal states filled in different orders', () => {
    const a = cluster(2);
    a.ok(cmd.kvPut('a', 1));
    a.ok(cmd.kvPut('b', 2));
    const b = cluster(2);
    b.ok(cmd.kvPut('b', 2));
    b.ok(cmd.kvPut('a', 1));
    // Same revisions for both: only the insertion order differs.
    a.state.kv.set('a', { value: 1, revision: 1 });
    a.state.kv.set('b', { value: 2, revision: 1 });
    b.state.kv.set('a', { value: 1, revision: 1 });
    b.state.kv.set('b', { value: 2, revision: 1 });
    expect(snapshot(a.state)).toEqual(snapshot(b.state));
  });

  it('refuses another format version: TREMOR_SNAPSHOT_FORMAT_UNSUPPORTED', () => {
    const error = restoreError(pack({ format: SNAPSHOT_FORMAT + 1 }));
    expect(error.code).toBe('TREMOR_SNAPSHOT_FORMAT_UNSUPPORTED');
  });

  const valid = () => ({
    format: SNAPSHOT_FORMAT,
    name: 'tremor',
    vnodeCount: 1,
    appliedRevision: 3,
    coordinators: [],
    workers: [{ id: 'w1', api: 'a', state: 'alive', joinedAt: 2 }],
    vnodes: [['w1', 1, []]],
    flows: [],
    kv: [['k', 1, 3]],
  });

  it('restores a hand-written valid snapshot', () => {
    const state = restore(pack(valid()));
    expect(state.vnodes).toEqual([{ owner: 'w1', epoch: 1, previousOwners: [] }]);
    expect(state.workers.get('w1')).toStrictEqual({
      id: 'w1',
      api: 'a',
      state: 'alive',
      joinedAt: 2,
    });
  });

  it.each<[string, (s: ReturnType<typeof valid>) => unknown]>([
    ['garbage bytes', () => new Uint8Array([0xc1, 0x00])],
    ['a missing field', ({ kv: _kv, ...rest }) => rest],
    ['an unknown field', (s) => ({ ...s, extra: 1 })],
    ['a vnode count that differs from the vnodes', (s) => ({ ...s, vnodeCount: 2 })],
    ['a name without vnodes', (s) => ({ ...s, name: null })],
    ['an owner that is no worker', (s) => ({ ...s, vnodes: [['w9', 1, []]] })],
    ['a previous owner that is no worker', (s) => ({ ...s, vnodes: [[null, 1, ['w9']]] })],
    [
      'duplicate kv keys',
      (s) => ({
        ...s,
        kv: [
          ['k', 1, 3],
          ['k', 2, 3],
        ],
      }),
    ],
    [
      'unsorted kv keys',
      (s) => ({
        ...s,
        kv: [
          ['b', 1, 3],
          ['a', 2, 3],
        ],
      }),
    ],
    ['duplicate workers', (s) => ({ ...s, workers: [...s.workers, ...s.workers] })],
    ['an unknown worker state', (s) => ({ ...s, workers: [{ ...s.workers[0], state: 'gone' }] })],
    ['a negative revision', (s) => ({ ...s, appliedRevision: -1 })],
    [
      'a flow spec that is not an object',
      (s) => ({ ...s, flows: [{ id: 'f', spec: 1, status: 'running', revision: 1 }] }),
    ],
  ])('refuses %s: TREMOR_SNAPSHOT_INVALID', (_label, mutate) => {
    const raw = mutate(valid());
    const bytes = raw instanceof Uint8Array ? raw : pack(raw);
    expect(restoreError(bytes).code).toBe('TREMOR_SNAPSHOT_INVALID');
  });
});
