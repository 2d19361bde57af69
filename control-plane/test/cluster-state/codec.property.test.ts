/**
 * Properties of the Raft entry and snapshot codec: every well-formed command survives
 * encode/decode unchanged, and no byte string, however broken, makes decoding throw anything but
 * the typed failures.
 */
import fc from 'fast-check';
import { pack } from 'msgpackr';
import {
  decodeCommand,
  encodeCommand,
  restore,
  snapshot,
  SnapshotError,
} from '../../src/cluster-state/codec';
import type { Command, FlowPutMode, SettableWorkerStatus } from '../../src/cluster-state/commands';
import type { FlowStatus } from '../../src/cluster-state/state';
import { REFUSAL_HTTP_STATUS } from '../../src/cluster-state/refusals';
import { jsonObject, jsonValue } from './arbitraries';
import { cluster, cmd } from './fixtures';

const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 });
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const nat = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

const anyCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(id, positive).map(([name, n]) => cmd.bootstrap(n, name)),
  fc.tuple(id, text, text).map(([c, address, api]) => cmd.addCoordinator(c, address, api)),
  id.map((c) => cmd.removeCoordinator(c)),
  fc.tuple(id, positive, id, text).map(([w, n, name, api]) => cmd.join(w, n, name, api)),
  id.map((w) => cmd.leave(w)),
  fc
    .tuple(id, fc.constantFrom<SettableWorkerStatus>('alive', 'suspect', 'dead', 'draining'))
    .map(([w, state]) => cmd.setState(w, state)),
  fc
    .array(
      fc.record(
        { vnode: nat, owner: fc.option(id), expectedEpoch: nat },
        { noNullPrototype: true },
      ),
      { maxLength: 5 },
    )
    .map((moves) => cmd.assign(...moves)),
  fc
    .tuple(id, jsonObject, fc.constantFrom<FlowPutMode>('create', 'upsert'))
    .map(([f, spec, mode]) => cmd.putFlow(f, spec, mode)),
  fc
    .tuple(id, fc.constantFrom<FlowStatus>('running', 'paused'))
    .map(([f, status]) => cmd.setFlowStatus(f, status)),
  id.map((f) => cmd.deleteFlow(f)),
  fc.tuple(id, jsonValue).map(([k, value]) => cmd.kvPut(k, value)),
  fc.tuple(id, fc.option(jsonValue), jsonValue).map(([k, e, value]) => cmd.kvCas(k, e, value)),
  id.map((k) => cmd.kvDelete(k)),
);

const isTypedRefusal = (result: ReturnType<typeof decodeCommand>): boolean =>
  result.ok || result.code in REFUSAL_HTTP_STATUS;

/** Restore either succeeds or throws a SnapshotError; anything else is a bug. */
const restoresOrRefuses = (bytes: Uint8Array): boolean => {
  try {
    restore(bytes);
    return true;
  } catch (error) {
    return error instanceof SnapshotError;
  }
};

describe('codec properties', () => {
  it('round-trips every well-formed command', () => {
    fc.assert(
      fc.property(anyCommand, (command) => {
        expect(decodeCommand(encodeCommand(command))).toStrictEqual({ ok: true, command });
      }),
      { numRuns: 300 },
    );
  });

  it('answers any bytes with a command or a typed refusal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) =>
        isTypedRefusal(decodeCommand(bytes)),
      ),
      { numRuns: 500 },
    );
  });

  it('answers any MessagePack value with a command or a typed refusal', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withDate: true, withTypedArray: true }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = pack(value);
        } catch {
          return true;
        }
        return isTypedRefusal(decodeCommand(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('answers a damaged command with a command or a typed refusal', () => {
    fc.assert(
      fc.property(anyCommand, nat, fc.integer({ min: 0, max: 255 }), (command, at, byte) => {
        const bytes = encodeCommand(command);
        const damaged = bytes.slice();
        damaged[at % damaged.length] = byte;
        return (
          isTypedRefusal(decodeCommand(damaged)) &&
          isTypedRefusal(decodeCommand(bytes.subarray(0, at % bytes.length)))
        );
      }),
      { numRuns: 300 },
    );
  });

  it('restores a damaged snapshot or refuses it with a SnapshotError', () => {
    const r = cluster(4, ['w1', 'w2']);
    r.ok(cmd.assign({ vnode: 1, owner: 'w2', expectedEpoch: 0 }));
    r.ok(cmd.putFlow('f', { id: 'f', n: [1, 2] }));
    r.ok(cmd.kvPut('k', { deep: { er: true } }));
    const bytes = snapshot(r.state);
    fc.assert(
      fc.property(nat, fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const damaged = bytes.slice();
        damaged[at % damaged.length] = byte;
        return (
          restoresOrRefuses(damaged) && restoresOrRefuses(bytes.subarray(0, at % bytes.length))
        );
      }),
      { numRuns: 500 },
    );
  });
});
