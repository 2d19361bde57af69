import { pack } from 'msgpackr';
import { decodeCommand, encodeCommand, MAX_VALUE_NESTING } from '../../src/cluster-state/codec';
import type { Command } from '../../src/cluster-state/commands';
import type { JsonValue } from '../../src/cluster-state/json';
import { cmd, expectRefused } from './fixtures';

const encodeRaw = (value: unknown): Uint8Array => pack(value);

const nested = (depth: number): JsonValue => (depth === 0 ? 'leaf' : [nested(depth - 1)]);

describe('command codec', () => {
  it.each<Command>([
    cmd.bootstrap(64),
    cmd.addCoordinator('c1'),
    cmd.removeCoordinator('c1'),
    cmd.join('w1'),
    cmd.leave('w1'),
    cmd.setState('w1', 'draining'),
    cmd.assign(
      { vnode: 0, owner: 'w1', expectedEpoch: 3 },
      { vnode: 5, owner: null, expectedEpoch: 0 },
    ),
    cmd.putFlow('f', { id: 'f', pipeline: [{ where: 'true' }] }, 'create'),
    cmd.setFlowStatus('f', 'paused'),
    cmd.deleteFlow('f'),
    cmd.kvPut('k', { n: 1.25, list: [null, true, 'x'], big: 1e300, neg: -7 }),
    cmd.kvCas('k', null, 'v'),
    cmd.kvDelete('k'),
  ])('round-trips $kind', (command) => {
    expect(decodeCommand(encodeCommand(command))).toStrictEqual({ ok: true, command });
  });

  it('keeps a __proto__ key as an ordinary key, as JSON.parse does', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    const decoded = decodeCommand(encodeCommand(cmd.kvPut('k', value)));
    expect(decoded).toStrictEqual({ ok: true, command: cmd.kvPut('k', value) });
    const stored = decoded.ok && decoded.command.kind === 'kv.put' ? decoded.command.value : null;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.keys(stored as object)).toEqual(['__proto__', 'a']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('leaves the bytes it decodes untouched', () => {
    const bytes = encodeCommand(cmd.kvPut('k', 1));
    const copy = bytes.slice();
    decodeCommand(bytes);
    expect(Object.keys(bytes)).toEqual(Object.keys(copy));
    expect(bytes).toEqual(copy);
  });

  it('encodes into a buffer of its own', () => {
    const bytes = encodeCommand(cmd.kvPut('k', 1));
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it(`accepts values nested ${MAX_VALUE_NESTING} deep and refuses deeper ones`, () => {
    const ok = decodeCommand(encodeCommand(cmd.kvPut('k', nested(MAX_VALUE_NESTING))));
    expect(ok.ok).toBe(true);
    const deep = decodeCommand(encodeCommand(cmd.kvPut('k', nested(MAX_VALUE_NESTING + 1))));
    expectRefused(deep, 'TREMOR_COMMAND_MALFORMED');
  });

  it('refuses a newer version before looking at the kind: TREMOR_COMMAND_VERSION_UNSUPPORTED', () => {
    const refusal = expectRefused(
      decodeCommand(encodeRaw({ v: 2, kind: 'kv.increment', key: 'k' })),
      'TREMOR_COMMAND_VERSION_UNSUPPORTED',
    );
    expect(refusal.details).toEqual({ version: 2, supported: 1 });
  });

  it('refuses an unknown kind: TREMOR_COMMAND_UNKNOWN_KIND', () => {
    const refusal = expectRefused(
      decodeCommand(encodeRaw({ v: 1, kind: 'kv.increment', key: 'k' })),
      'TREMOR_COMMAND_UNKNOWN_KIND',
    );
    expect(refusal.details).toEqual({ kind: 'kv.increment' });
  });

  it.each<[string, unknown]>([
    ['a scalar', 42],
    ['no version', { kind: 'kv.delete', key: 'k' }],
    ['a fractional version', { v: 1.5, kind: 'kv.delete', key: 'k' }],
    ['no kind', { v: 1, key: 'k' }],
    ['a missing field', { v: 1, kind: 'kv.put', key: 'k' }],
    ['an unknown field', { v: 1, kind: 'kv.delete', key: 'k', ttl: 5 }],
    ['an empty key', { v: 1, kind: 'kv.delete', key: '' }],
    ['a numeric id', { v: 1, kind: 'worker.leave', id: 7 }],
    ['an unknown worker state', { v: 1, kind: 'worker.set-state', id: 'w', state: 'left' }],
    ['a fractional vnode count', { v: 1, kind: 'bootstrap', name: 'n', vnodeCount: 2.5 }],
    ['a zero vnode count', { v: 1, kind: 'bootstrap', name: 'n', vnodeCount: 0 }],
    ['a spec that is an array', { v: 1, kind: 'flow.put', id: 'f', spec: [], mode: 'upsert' }],
    ['an unknown put mode', { v: 1, kind: 'flow.put', id: 'f', spec: {}, mode: 'merge' }],
    ['moves that are not an array', { v: 1, kind: 'vnode.assign', moves: {} }],
    [
      'a move with a negative epoch',
      { v: 1, kind: 'vnode.assign', moves: [{ vnode: 0, owner: null, expectedEpoch: -1 }] },
    ],
    [
      'a move with an extra field',
      { v: 1, kind: 'vnode.assign', moves: [{ vnode: 0, owner: 'w', expectedEpoch: 0, x: 1 }] },
    ],
    [
      'a value JSON cannot hold (binary)',
      { v: 1, kind: 'kv.put', key: 'k', value: Buffer.from('x') },
    ],
    ['a value JSON cannot hold (date)', { v: 1, kind: 'kv.put', key: 'k', value: new Date(0) }],
    ['a value JSON cannot hold (NaN)', { v: 1, kind: 'kv.put', key: 'k', value: Number.NaN }],
    ['a value JSON cannot hold (bigint)', { v: 1, kind: 'kv.put', key: 'k', value: 2n ** 60n }],
    ['a map with a non-string key', new Map<unknown, unknown>([[1, 'x']])],
  ])('refuses %s: TREMOR_COMMAND_MALFORMED', (_label, raw) => {
    const refusal = expectRefused(decodeCommand(encodeRaw(raw)), 'TREMOR_COMMAND_MALFORMED');
    expect(refusal.details.reason).not.toBe('');
  });

  it.each<[string, Uint8Array]>([
    ['no bytes', new Uint8Array(0)],
    ['a truncated map', new Uint8Array([0x82, 0xa1, 0x76])],
    ['trailing bytes', new Uint8Array([0x01, 0x02])],
    ['a reserved byte', new Uint8Array([0xc1])],
    ['a huge declared length', new Uint8Array([0xdd, 0x7f, 0xff, 0xff, 0xff])],
    ['JSON text', new TextEncoder().encode('{"v":1}')],
  ])('refuses bytes with %s: TREMOR_COMMAND_MALFORMED', (_label, bytes) => {
    expectRefused(decodeCommand(bytes), 'TREMOR_COMMAND_MALFORMED');
  });
});
