/**
 * The cluster state's bytes: commands as Raft entries and whole states as Raft snapshots, both
 * MessagePack.
 *
 * Decoding trusts nothing: the bytes are checked to hold plain JSON-like data (maps with string
 * keys, arrays, strings, finite numbers, booleans, null) of bounded nesting, then checked field by
 * field. A bad command becomes a typed refusal, which the apply loop can hand back like any other;
 * a bad snapshot throws a typed error, since there is no state to continue from.
 *
 * What MessagePack carries differently from JSON text: -0 arrives as 0, and a lone UTF-16
 * surrogate arrives as U+FFFD. Both are the same on every coordinator, which is what matters.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { Command } from './commands';
import { parseCommand } from './command-schema';
import type { JsonObject, JsonValue } from './json';
import { compareStrings, valuesByKey } from './order';
import { refuse, type Refusal } from './refusals';
import { expectArray, expectId, expectInteger, expectTuple, Fields, ShapeError } from './shape';
import {
  MAX_VNODE_COUNT,
  type ClusterState,
  type Coordinator,
  type Flow,
  type KvEntry,
  type ReadonlyClusterState,
  type VnodeAssignment,
  type Worker,
  type WorkerStatus,
} from './state';

/** Deeper values are refused, so that no coordinator's stack depth decides what is accepted. */
export const MAX_VALUE_NESTING = 64;

export const SNAPSHOT_FORMAT = 1;

// Records (msgpackr's shared-structure extension) would make each message depend on earlier
// ones; an entry must decode on its own. Maps are decoded as `Map` so that a key `__proto__`
// stays a key (msgpackr renames it when it builds objects itself).
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });

export function encodeCommand(command: Command): Uint8Array {
  return packOwned(command);
}

/**
 * The refusal, when there is one, is what the apply loop records for that entry (after
 * `advanceRevision`), so the proposer learns why. A leader's empty entry carries no bytes and is
 * not a command: the loop only advances the revision for it.
 */
export function decodeCommand(bytes: Uint8Array): { ok: true; command: Command } | Refusal {
  try {
    // The root map counts as one level of nesting above a command's values.
    return parseCommand(fromMessagePack(unpack(bytes), MAX_VALUE_NESTING + 1));
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return refuse('TREMOR_COMMAND_MALFORMED', `malformed command: ${error.reason}`, {
      reason: error.reason,
    });
  }
}

export type SnapshotErrorCode = 'TREMOR_SNAPSHOT_INVALID' | 'TREMOR_SNAPSHOT_FORMAT_UNSUPPORTED';

export class SnapshotError extends Error {
  constructor(
    readonly code: SnapshotErrorCode,
    readonly reason: string,
  ) {
    super(`cannot restore the cluster state: ${reason}`);
    this.name = 'SnapshotError';
  }
}

/**
 * Maps are written sorted by key so that equal states give equal bytes, whatever order the
 * commands filled them in. The two collections that grow with the cluster, vnodes and kv, are
 * written as tuples to keep field names out of every item.
 */
export function snapshot(state: ReadonlyClusterState): Uint8Array {
  return packOwned({
    format: SNAPSHOT_FORMAT,
    name: state.name,
    vnodeCount: state.vnodeCount,
    appliedRevision: state.appliedRevision,
    coordinators: valuesByKey(state.coordinators).map((c) => ({
      id: c.id,
      address: c.address,
      api: c.api,
    })),
    workers: valuesByKey(state.workers).map((w) => ({
      id: w.id,
      api: w.api,
      state: w.state,
      joinedAt: w.joinedAt,
      ...(w.lastHeartbeatIndex === undefined ? {} : { lastHeartbeatIndex: w.lastHeartbeatIndex }),
    })),
    vnodes: state.vnodes.map((a) => [a.owner, a.epoch, a.previousOwners]),
    flows: valuesByKey(state.flows).map((f) => ({
      id: f.id,
      spec: f.spec,
      status: f.status,
      revision: f.revision,
    })),
    kv: [...state.kv.keys()].sort(compareStrings).map((key) => {
      const entry = state.kv.get(key) as KvEntry;
      return [key, entry.value, entry.revision];
    }),
  });
}

export function restore(bytes: Uint8Array): ClusterState {
  try {
    // Root, list and item sit above a stored value.
    return readSnapshot(fromMessagePack(unpack(bytes), MAX_VALUE_NESTING + 3));
  } catch (error) {
    if (error instanceof SnapshotError) throw error;
    if (error instanceof ShapeError)
      throw new SnapshotError('TREMOR_SNAPSHOT_INVALID', error.reason);
    throw error;
  }
}

const WORKER_STATES: readonly WorkerStatus[] = ['alive', 'suspect', 'dead', 'draining', 'left'];

function readSnapshot(root: JsonValue): ClusterState {
  const f = Fields.of(root, 'snapshot');
  const format = f.integer('format');
  if (format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(
      'TREMOR_SNAPSHOT_FORMAT_UNSUPPORTED',
      `snapshot format ${format} is not supported; this coordinator reads format ${SNAPSHOT_FORMAT}`,
    );
  }
  const nameValue = f.value('name');
  const name = nameValue === null ? null : expectId(nameValue, 'snapshot.name');
  const vnodeCount = f.integer('vnodeCount');
  if (vnodeCount > MAX_VNODE_COUNT || (name === null) !== (vnodeCount === 0)) {
    throw new ShapeError(`snapshot.vnodeCount ${vnodeCount} does not fit the cluster name`);
  }
  const state: ClusterState = {
    name,
    vnodeCount,
    appliedRevision: f.integer('appliedRevision'),
    coordinators: byId(f.array('coordinators'), 'snapshot.coordinators', readCoordinator),
    workers: byId(f.array('workers'), 'snapshot.workers', readWorker),
    vnodes: [],
    flows: byId(f.array('flows'), 'snapshot.flows', readFlow),
    kv: new Map(),
  };
  const vnodes = f.array('vnodes');
  if (vnodes.length !== vnodeCount) {
    throw new ShapeError(`snapshot has ${vnodes.length} vnodes, not ${vnodeCount}`);
  }
  vnodes.forEach((item, vnode) => {
    state.vnodes.push(readVnode(item, `snapshot.vnodes[${vnode}]`, state));
  });
  let previousKey: string | null = null;
  f.array('kv').forEach((item, i) => {
    const [key, value, revision] = expectTuple(item, 3, `snapshot.kv[${i}]`);
    const k = expectId(key, `snapshot.kv[${i}][0]`);
    if (previousKey !== null && compareStrings(previousKey, k) >= 0) {
      throw new ShapeError(`snapshot.kv is not sorted by unique keys at ${i}`);
    }
    previousKey = k;
    state.kv.set(k, {
      value: value as JsonValue,
      revision: expectInteger(revision, `snapshot.kv[${i}][2]`),
    });
  });
  f.done();
  return state;
}

/** Ids must be strictly ascending: the order `snapshot` writes, and a proof of uniqueness. */
function byId<T extends { readonly id: string }>(
  items: JsonValue[],
  where: string,
  read: (f: Fields) => T,
): Map<string, T> {
  const map = new Map<string, T>();
  let previous: string | null = null;
  items.forEach((item, i) => {
    const f = Fields.of(item, `${where}[${i}]`);
    const record = read(f);
    f.done();
    if (previous !== null && compareStrings(previous, record.id) >= 0) {
      throw new ShapeError(`${where} is not sorted by unique ids at ${i}`);
    }
    previous = record.id;
    map.set(record.id, record);
  });
  return map;
}

function readCoordinator(f: Fields): Coordinator {
  return { id: f.id('id'), address: f.string('address'), api: f.string('api') };
}

function readWorker(f: Fields): Worker {
  const worker: Worker = {
    id: f.id('id'),
    api: f.string('api'),
    state: f.oneOf('state', WORKER_STATES),
    joinedAt: f.integer('joinedAt'),
  };
  return f.has('lastHeartbeatIndex')
    ? { ...worker, lastHeartbeatIndex: f.integer('lastHeartbeatIndex') }
    : worker;
}

function readFlow(f: Fields): Flow {
  return {
    id: f.id('id'),
    spec: f.object('spec'),
    status: f.oneOf('status', ['running', 'paused'] as const),
    revision: f.integer('revision'),
  };
}

/** Owners must be known workers: workers are never removed, so any other id is corruption. */
function readVnode(item: JsonValue, where: string, state: ClusterState): VnodeAssignment {
  const [ownerValue, epochValue, previousValue] = expectTuple(item, 3, where);
  const knownWorker = (value: JsonValue | undefined, at: string): string => {
    const id = expectId(value, at);
    if (!state.workers.has(id)) throw new ShapeError(`${at} names unknown worker ${id}`);
    return id;
  };
  return {
    owner: ownerValue === null ? null : knownWorker(ownerValue, `${where}.owner`),
    epoch: expectInteger(epochValue, `${where}.epoch`),
    previousOwners: expectArray(previousValue, `${where}.previousOwners`).map((id, i) =>
      knownWorker(id, `${where}.previousOwners[${i}]`),
    ),
  };
}

/**
 * msgpackr hands out views into a slab it keeps writing to; a copy owns its own buffer, so holding
 * it (in the Raft log, a snapshot store) or reading its `.buffer` is safe.
 */
function packOwned(value: unknown): Uint8Array {
  return new Uint8Array(packr.pack(value));
}

function unpack(bytes: Uint8Array): unknown {
  try {
    // A fresh view, because msgpackr caches a DataView as a property of the array it reads: the
    // caller's bytes (a Raft entry, a stored snapshot) stay untouched.
    return unpackr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    // The library's own message is left out: it may differ between coordinator releases, and
    // a refusal must read the same on every one.
    throw new ShapeError('not a single MessagePack value');
  }
}

/** Converts msgpackr's output to JSON values, refusing anything JSON cannot hold. */
function fromMessagePack(value: unknown, nesting: number): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new ShapeError('a number is not finite');
      return value;
    case 'object': {
      if (value === null) return null;
      if (nesting === 0)
        throw new ShapeError(`a value is nested more than ${MAX_VALUE_NESTING} deep`);
      if (Array.isArray(value)) {
        return value.map((item: unknown) => fromMessagePack(item, nesting - 1));
      }
      if (value instanceof Map) return objectFromMap(value, nesting);
      throw new ShapeError('a value is neither a map, an array nor a scalar');
    }
    default:
      throw new ShapeError(`a value of type ${typeof value} is not JSON`);
  }
}

function objectFromMap(map: Map<unknown, unknown>, nesting: number): JsonObject {
  const object: JsonObject = {};
  for (const [key, item] of map) {
    if (typeof key !== 'string') throw new ShapeError('a map key is not a string');
    const converted = fromMessagePack(item, nesting - 1);
    if (key === '__proto__') {
      // Assignment would replace the prototype; JSON.parse makes it an own key, and so do we.
      Object.defineProperty(object, key, {
        value: converted,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      object[key] = converted;
    }
  }
  return object;
}
