/**
 * The shape of a decoded command, checked field by field. The version is checked before the kind:
 * a newer release may have added kinds, and "unsupported version" is the honest answer then.
 */
import {
  COMMAND_VERSION,
  type Command,
  type CommandKind,
  type CommandOf,
  type SettableWorkerStatus,
  type VnodeMove,
} from './commands';
import type { JsonValue } from './json';
import { refuse, type Refusal } from './refusals';
import { Fields, ShapeError } from './shape';
import type { FlowStatus } from './state';

const SETTABLE_WORKER_STATES: readonly SettableWorkerStatus[] = [
  'alive',
  'suspect',
  'dead',
  'draining',
];
const FLOW_STATUSES: readonly FlowStatus[] = ['running', 'paused'];

type Parsers = { readonly [K in CommandKind]: (f: Fields) => CommandOf<K> };

const v = COMMAND_VERSION;

const PARSERS: Parsers = {
  bootstrap: (f) => ({
    v,
    kind: 'bootstrap',
    name: f.id('name'),
    vnodeCount: f.integer('vnodeCount', 1),
  }),
  'coordinator.add': (f) => ({
    v,
    kind: 'coordinator.add',
    id: f.id('id'),
    address: f.string('address'),
    api: f.string('api'),
  }),
  'coordinator.remove': (f) => ({ v, kind: 'coordinator.remove', id: f.id('id') }),
  'worker.join': (f) => ({
    v,
    kind: 'worker.join',
    id: f.id('id'),
    api: f.string('api'),
    clusterName: f.id('clusterName'),
    vnodeCount: f.integer('vnodeCount', 1),
  }),
  'worker.leave': (f) => ({ v, kind: 'worker.leave', id: f.id('id') }),
  'worker.set-state': (f) => ({
    v,
    kind: 'worker.set-state',
    id: f.id('id'),
    state: f.oneOf('state', SETTABLE_WORKER_STATES),
  }),
  'vnode.assign': (f) => ({
    v,
    kind: 'vnode.assign',
    moves: f.array('moves').map((item, i) => parseMove(item, `${f.path('moves')}[${i}]`)),
  }),
  'flow.put': (f) => ({
    v,
    kind: 'flow.put',
    id: f.id('id'),
    spec: f.object('spec'),
    mode: f.oneOf('mode', ['create', 'upsert'] as const),
  }),
  'flow.set-status': (f) => ({
    v,
    kind: 'flow.set-status',
    id: f.id('id'),
    status: f.oneOf('status', FLOW_STATUSES),
  }),
  'flow.delete': (f) => ({ v, kind: 'flow.delete', id: f.id('id') }),
  'kv.put': (f) => ({ v, kind: 'kv.put', key: f.id('key'), value: f.value('value') }),
  'kv.cas': (f) => ({
    v,
    kind: 'kv.cas',
    key: f.id('key'),
    expected: f.value('expected'),
    value: f.value('value'),
  }),
  'kv.delete': (f) => ({ v, kind: 'kv.delete', key: f.id('key') }),
};

function parseMove(item: JsonValue, where: string): VnodeMove {
  const f = Fields.of(item, where);
  const move = {
    vnode: f.integer('vnode'),
    owner: f.nullableId('owner'),
    expectedEpoch: f.integer('expectedEpoch'),
  };
  f.done();
  return move;
}

/** Turns a decoded JSON value into a command, or says precisely why it is not one. */
export function parseCommand(value: JsonValue): { ok: true; command: Command } | Refusal {
  try {
    const f = Fields.of(value, 'command');
    const version = f.integer('v');
    if (version !== COMMAND_VERSION) {
      return refuse(
        'TREMOR_COMMAND_VERSION_UNSUPPORTED',
        `command version ${version} is not supported; this coordinator reads version ${COMMAND_VERSION}`,
        { version, supported: COMMAND_VERSION },
      );
    }
    const kind = f.string('kind');
    if (!Object.hasOwn(PARSERS, kind)) {
      return refuse('TREMOR_COMMAND_UNKNOWN_KIND', `unknown command kind ${kind}`, { kind });
    }
    const command = PARSERS[kind as CommandKind](f);
    f.done();
    return { ok: true, command };
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return refuse('TREMOR_COMMAND_MALFORMED', `malformed command: ${error.reason}`, {
      reason: error.reason,
    });
  }
}
