import { getKv } from '../../src/cluster-state/queries';
import { cmd, cluster } from './fixtures';

describe('kv.put', () => {
  it('stores the value at the command revision', () => {
    const r = cluster();
    expect(r.ok(cmd.kvPut('k', { a: [1, 'x'] }))).toEqual({
      key: 'k',
      value: { a: [1, 'x'] },
      revision: r.index,
    });
    expect(getKv(r.state, 'k')).toEqual({ key: 'k', value: { a: [1, 'x'] }, revision: r.index });
  });

  it('overwrites with a new revision', () => {
    const r = cluster();
    r.ok(cmd.kvPut('k', 1));
    r.ok(cmd.kvPut('k', 2));
    expect(getKv(r.state, 'k')).toEqual({ key: 'k', value: 2, revision: r.index });
  });
});

describe('kv.cas', () => {
  it('creates a key expected absent (expected: null)', () => {
    const r = cluster();
    expect(r.ok(cmd.kvCas('k', null, 'v'))).toEqual({ key: 'k', value: 'v', revision: r.index });
  });

  it('refuses "absent" when the key exists, with the current value: TREMOR_KV_CAS_FAILED', () => {
    const r = cluster();
    r.ok(cmd.kvPut('k', 'v'));
    const at = r.index;
    const refusal = r.refused(cmd.kvCas('k', null, 'w'), 'TREMOR_KV_CAS_FAILED');
    expect(refusal.details).toEqual({ key: 'k', current: { value: 'v', revision: at } });
    expect(getKv(r.state, 'k')?.value).toBe('v');
  });

  it('refuses a present expectation on an absent key, with current null', () => {
    const refusal = cluster().refused(cmd.kvCas('k', 1, 2), 'TREMOR_KV_CAS_FAILED');
    expect(refusal.details).toEqual({ key: 'k', current: null });
  });

  it('compares JSON meaning, not key order', () => {
    const r = cluster();
    r.ok(cmd.kvPut('k', { a: 1, b: [true, null] }));
    expect(r.ok(cmd.kvCas('k', { b: [true, null], a: 1 }, 'next')).value).toBe('next');
  });

  it.each([
    [{ a: 1 }, { a: 1, b: 2 }],
    [
      [1, 2],
      [2, 1],
    ],
    [1, '1'],
    [{ a: null }, {}],
    [[], {}],
    [0, false],
  ])('treats %j and %j as different', (stored, expected) => {
    const r = cluster();
    r.ok(cmd.kvPut('k', stored));
    r.refused(cmd.kvCas('k', expected, 'x'), 'TREMOR_KV_CAS_FAILED');
  });
});

describe('kv.delete', () => {
  it('deletes, and says whether there was anything to delete', () => {
    const r = cluster();
    r.ok(cmd.kvPut('k', 1));
    expect(r.ok(cmd.kvDelete('k'))).toEqual({ key: 'k', deleted: true });
    expect(getKv(r.state, 'k')).toBeUndefined();
    expect(r.ok(cmd.kvDelete('k'))).toEqual({ key: 'k', deleted: false });
  });
});
