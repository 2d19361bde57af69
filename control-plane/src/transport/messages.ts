/**
 * Everything on the wire once a connection has been authenticated (handshake.ts covers what comes
 * before). One msgpack map per frame, tagged by `t`:
 *
 * | t      | fields                                    | use                                      |
 * | ------ | ----------------------------------------- | ---------------------------------------- |
 * | `raft` | `msg`: a Raft `Message`                   | between coordinators; loss is tolerated  |
 * | `req`  | `id`, `method`, `body`                    | a request (join, heartbeat, watch, ...)  |
 * | `res`  | `id`, `ok: true`, `body`                  | its answer, on the same connection       |
 * | `res`  | `id`, `ok: false`, `error: {code, message}` | the handler failed                     |
 * | `push` | `topic`, `body`                           | one-way notifications (state watches)    |
 *
 * `id` is chosen by the requester and only has to be unique among its requests in flight on that
 * connection. Bodies are any msgpack value; their shape is the business of the handler for the
 * method or topic. Every decoded frame is validated here before anything else sees it, and a
 * validated value is rebuilt from known fields only, so nothing a peer adds travels further.
 */
import type { Entry, Message, MessageType, Snapshot } from '../raft/types';
import { ProtocolError } from './errors';

export interface RemoteError {
  readonly code: string;
  readonly message: string;
}

export type WireMessage =
  | { readonly t: 'raft'; readonly msg: Message }
  | { readonly t: 'req'; readonly id: number; readonly method: string; readonly body: unknown }
  | { readonly t: 'res'; readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly t: 'res'; readonly id: number; readonly ok: false; readonly error: RemoteError }
  | { readonly t: 'push'; readonly topic: string; readonly body: unknown };

/** Method, topic and error strings are names, not payloads. */
const MAX_NAME_LENGTH = 256;
const MAX_ERROR_MESSAGE_LENGTH = 4096;

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  'app',
  'app-resp',
  'vote',
  'vote-resp',
  'pre-vote',
  'pre-vote-resp',
  'heartbeat',
  'heartbeat-resp',
  'snap',
  'timeout-now',
]);

/**
 * The encodable form of a wire message: optional Raft fields that are absent are left out
 * (msgpack would otherwise carry `undefined` as an extension value).
 */
export function toWire(m: WireMessage): Record<string, unknown> {
  switch (m.t) {
    case 'raft':
      return { t: 'raft', msg: raftToWire(m.msg) };
    case 'req':
      return { t: 'req', id: m.id, method: m.method, body: m.body ?? null };
    case 'res':
      return m.ok
        ? { t: 'res', id: m.id, ok: true, body: m.body ?? null }
        : {
            t: 'res',
            id: m.id,
            ok: false,
            error: { code: m.error.code, message: m.error.message },
          };
    case 'push':
      return { t: 'push', topic: m.topic, body: m.body ?? null };
  }
}

function raftToWire(msg: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: msg.type,
    from: msg.from,
    to: msg.to,
    term: msg.term,
    index: msg.index,
    logTerm: msg.logTerm,
    commit: msg.commit,
  };
  if (msg.entries !== undefined) {
    out.entries = msg.entries.map((e) => ({
      index: e.index,
      term: e.term,
      type: e.type,
      data: e.data,
    }));
  }
  if (msg.reject !== undefined) out.reject = msg.reject;
  if (msg.rejectHint !== undefined) out.rejectHint = msg.rejectHint;
  if (msg.snapshot !== undefined) out.snapshot = msg.snapshot;
  if (msg.context !== undefined) out.context = msg.context;
  return out;
}

/** Throws ProtocolError('invalid-message') naming the first field that is wrong. */
export function parseWireMessage(raw: unknown): WireMessage {
  const m = map(raw, 'frame');
  switch (m.t) {
    case 'raft':
      return { t: 'raft', msg: parseRaftMessage(m.msg) };
    case 'req':
      return {
        t: 'req',
        id: uint(m.id, 'req.id'),
        method: name(m.method, 'req.method'),
        body: m.body,
      };
    case 'res': {
      const id = uint(m.id, 'res.id');
      if (m.ok === true) return { t: 'res', id, ok: true, body: m.body };
      if (m.ok === false) {
        const e = map(m.error, 'res.error');
        return {
          t: 'res',
          id,
          ok: false,
          error: {
            code: name(e.code, 'res.error.code'),
            message: string(e.message, 'res.error.message', MAX_ERROR_MESSAGE_LENGTH),
          },
        };
      }
      return invalid('res.ok is not a boolean');
    }
    case 'push':
      return { t: 'push', topic: name(m.topic, 'push.topic'), body: m.body };
    default:
      return invalid(`unknown message kind ${describe(m.t)}`);
  }
}

export function parseRaftMessage(raw: unknown): Message {
  const m = map(raw, 'raft.msg');
  const type = m.type;
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) {
    return invalid(`raft.msg.type ${describe(type)} is unknown`);
  }
  const msg: {
    -readonly [K in keyof Message]: Message[K];
  } = {
    type: type as MessageType,
    from: name(m.from, 'raft.msg.from'),
    to: name(m.to, 'raft.msg.to'),
    term: uint(m.term, 'raft.msg.term'),
    index: uint(m.index, 'raft.msg.index'),
    logTerm: uint(m.logTerm, 'raft.msg.logTerm'),
    commit: uint(m.commit, 'raft.msg.commit'),
  };
  if (m.entries !== undefined) {
    if (!Array.isArray(m.entries)) return invalid('raft.msg.entries is not an array');
    msg.entries = m.entries.map((e: unknown, i) => parseEntry(e, `raft.msg.entries[${i}]`));
  }
  if (m.reject !== undefined) {
    if (typeof m.reject !== 'boolean') return invalid('raft.msg.reject is not a boolean');
    msg.reject = m.reject;
  }
  if (m.rejectHint !== undefined) msg.rejectHint = uint(m.rejectHint, 'raft.msg.rejectHint');
  if (m.snapshot !== undefined) msg.snapshot = parseSnapshot(m.snapshot);
  if (m.context !== undefined) msg.context = string(m.context, 'raft.msg.context', 1024);
  return msg;
}

function parseEntry(raw: unknown, path: string): Entry {
  const e = map(raw, path);
  if (e.type !== 'normal' && e.type !== 'conf') return invalid(`${path}.type is unknown`);
  return {
    index: uint(e.index, `${path}.index`),
    term: uint(e.term, `${path}.term`),
    type: e.type,
    data: bytes(e.data, `${path}.data`),
  };
}

function parseSnapshot(raw: unknown): Snapshot {
  const s = map(raw, 'raft.msg.snapshot');
  const meta = map(s.meta, 'raft.msg.snapshot.meta');
  const conf = map(meta.conf, 'raft.msg.snapshot.meta.conf');
  return {
    meta: {
      index: uint(meta.index, 'raft.msg.snapshot.meta.index'),
      term: uint(meta.term, 'raft.msg.snapshot.meta.term'),
      conf: {
        voters: names(conf.voters, 'raft.msg.snapshot.meta.conf.voters'),
        learners: names(conf.learners, 'raft.msg.snapshot.meta.conf.learners'),
      },
    },
    data: bytes(s.data, 'raft.msg.snapshot.data'),
  };
}

function invalid(detail: string): never {
  throw new ProtocolError('invalid-message', detail);
}

function map(v: unknown, path: string): Record<string, unknown> {
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    v instanceof Uint8Array ||
    Object.getPrototypeOf(v) !== Object.prototype
  ) {
    return invalid(`${path} is not a map`);
  }
  return v as Record<string, unknown>;
}

function uint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    return invalid(`${path} is not a non-negative integer`);
  }
  return v;
}

function string(v: unknown, path: string, maxLength: number): string {
  if (typeof v !== 'string') return invalid(`${path} is not a string`);
  if (v.length > maxLength) return invalid(`${path} is longer than ${maxLength} characters`);
  return v;
}

function name(v: unknown, path: string): string {
  const s = string(v, path, MAX_NAME_LENGTH);
  if (s.length === 0) return invalid(`${path} is empty`);
  return s;
}

function names(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) return invalid(`${path} is not an array`);
  return v.map((x: unknown, i) => name(x, `${path}[${i}]`));
}

function bytes(v: unknown, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) return invalid(`${path} is not binary`);
  return v;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 32)) : typeof v;
}
