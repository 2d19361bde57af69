/**
 * The mutual handshake that opens every cluster connection. Frames (msgpack maps, frame-codec.ts):
 *
 *   server → client  { t: 'challenge', v: 1, nonce }                          nonce: 32 random bytes
 *   client → server  { t: 'hello', v: 1, clusterName, nodeId, role, clientNonce, mac }
 *   server → client  { t: 'welcome', nodeId, role, mac }
 *                 or { t: 'reject', code, message }                           then the server closes
 *
 *   hello.mac   = HMAC-SHA256(secret, serverNonce || clientNonce || clusterName || clientNodeId)
 *   welcome.mac = HMAC-SHA256(secret, clientNonce || serverNonce || clusterName || serverNodeId)
 *
 * where the nonces are their 32 raw bytes and each string is its UTF-8 bytes preceded by their
 * length as a u16 big-endian, so that no two (clusterName, nodeId) pairs give the same input.
 * Each side proves the secret over a nonce the other side just chose, so neither MAC can be
 * replayed, and swapping the nonces' order keeps a server's MAC from passing as a client's. The
 * secret itself never leaves the process. With no secret the key is empty: the handshake then
 * only checks the cluster name and identifies the peer, and proves nothing.
 *
 * The server checks, in order: the frame's shape (else a protocol error, closed without an
 * answer), the cluster name (`TREMOR_CLUSTER_NAME_MISMATCH`, checked first because it is the more
 * useful diagnosis when two clusters also have different secrets), the MAC
 * (`TREMOR_CLUSTER_AUTH_FAILED`), and that the client is not this node (`..._NODE_ID_CONFLICT`).
 * Roles are claims: every holder of the secret can make any claim. Authentication covers the
 * handshake only; frames after it are neither signed nor encrypted, so a network that can
 * rewrite TCP streams can take over an authenticated connection (TLS would close that gap).
 *
 * This module is pure apart from its injectable source of random bytes; connection.ts drives it.
 */
import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import {
  HandshakeRejectedError,
  ProtocolError,
  REJECTION_CODES,
  type RejectionCode,
} from './errors';

export const PROTOCOL_VERSION = 1;
export const NONCE_BYTES = 32;
/** Cluster names and node ids, in characters. */
export const MAX_ID_LENGTH = 256;
/** Frame size limit until the peer has authenticated: a stranger cannot make us buffer more. */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

export type NodeRole = 'coordinator' | 'worker';

export interface PeerIdentity {
  readonly nodeId: string;
  readonly role: NodeRole;
}

export interface LocalIdentity extends PeerIdentity {
  readonly clusterName: string;
  /** The cluster secret's bytes; empty when none is configured. */
  readonly key: Uint8Array;
}

export type RandomBytes = (n: number) => Uint8Array;

export interface Challenge {
  readonly t: 'challenge';
  readonly v: number;
  readonly nonce: Uint8Array;
}

export interface Hello {
  readonly t: 'hello';
  readonly v: number;
  readonly clusterName: string;
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly clientNonce: Uint8Array;
  readonly mac: Uint8Array;
}

export interface Welcome {
  readonly t: 'welcome';
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly mac: Uint8Array;
}

export interface Reject {
  readonly t: 'reject';
  readonly code: RejectionCode;
  readonly message: string;
}

export function handshakeMac(
  key: Uint8Array,
  firstNonce: Uint8Array,
  secondNonce: Uint8Array,
  clusterName: string,
  nodeId: string,
): Buffer {
  return createHmac('sha256', key)
    .update(firstNonce)
    .update(secondNonce)
    .update(lengthPrefixed(clusterName))
    .update(lengthPrefixed(nodeId))
    .digest();
}

function lengthPrefixed(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function macMatches(expected: Buffer, actual: Uint8Array): boolean {
  // timingSafeEqual throws on a length difference; the length is public anyway.
  return actual.length === expected.length && timingSafeEqual(expected, actual);
}

/** The server's side: `challenge` goes out on accept, `answer` takes the client's hello. */
export class ServerHandshake {
  readonly challenge: Challenge;

  constructor(
    private readonly local: LocalIdentity,
    randomBytes: RandomBytes = cryptoRandomBytes,
  ) {
    this.challenge = { t: 'challenge', v: PROTOCOL_VERSION, nonce: randomBytes(NONCE_BYTES) };
  }

  /** Throws ProtocolError for anything that is not a well-formed hello. */
  answer(
    raw: unknown,
  ):
    | { readonly ok: true; readonly peer: PeerIdentity; readonly reply: Welcome }
    | { readonly ok: false; readonly error: HandshakeRejectedError; readonly reply: Reject } {
    const hello = parseHello(raw);
    const { local } = this;
    const refuse = (code: RejectionCode, message: string) => ({
      ok: false as const,
      error: new HandshakeRejectedError(code, message, false),
      reply: { t: 'reject' as const, code, message },
    });
    if (hello.clusterName !== local.clusterName) {
      return refuse(
        'TREMOR_CLUSTER_NAME_MISMATCH',
        `node ${JSON.stringify(hello.nodeId)} belongs to cluster ${JSON.stringify(hello.clusterName)}, this one is ${JSON.stringify(local.clusterName)}`,
      );
    }
    const expected = handshakeMac(
      local.key,
      this.challenge.nonce,
      hello.clientNonce,
      hello.clusterName,
      hello.nodeId,
    );
    if (!macMatches(expected, hello.mac)) {
      return refuse(
        'TREMOR_CLUSTER_AUTH_FAILED',
        `node ${JSON.stringify(hello.nodeId)} did not prove the cluster secret`,
      );
    }
    if (hello.nodeId === local.nodeId) {
      return refuse(
        'TREMOR_CLUSTER_NODE_ID_CONFLICT',
        `the connecting node uses this node's id ${JSON.stringify(local.nodeId)}`,
      );
    }
    const mac = handshakeMac(
      local.key,
      hello.clientNonce,
      this.challenge.nonce,
      local.clusterName,
      local.nodeId,
    );
    return {
      ok: true,
      peer: { nodeId: hello.nodeId, role: hello.role },
      reply: { t: 'welcome', nodeId: local.nodeId, role: local.role, mac },
    };
  }
}

/** The client's side: `hello` answers the challenge, `finish` takes the server's answer. */
export class ClientHandshake {
  private readonly clientNonce: Uint8Array;
  private serverNonce: Uint8Array | null = null;

  constructor(
    private readonly local: LocalIdentity,
    randomBytes: RandomBytes = cryptoRandomBytes,
  ) {
    this.clientNonce = randomBytes(NONCE_BYTES);
  }

  /** Throws ProtocolError for anything that is not a well-formed challenge. */
  hello(raw: unknown): Hello {
    const challenge = parseChallenge(raw);
    this.serverNonce = challenge.nonce;
    const { local } = this;
    return {
      t: 'hello',
      v: PROTOCOL_VERSION,
      clusterName: local.clusterName,
      nodeId: local.nodeId,
      role: local.role,
      clientNonce: this.clientNonce,
      mac: handshakeMac(
        local.key,
        challenge.nonce,
        this.clientNonce,
        local.clusterName,
        local.nodeId,
      ),
    };
  }

  /** The server's identity, proven; throws HandshakeRejectedError or ProtocolError. */
  finish(raw: unknown): PeerIdentity {
    if (this.serverNonce === null) throw new Error('ClientHandshake.finish before hello');
    const answer = parseAnswer(raw);
    if (answer.t === 'reject') {
      throw new HandshakeRejectedError(
        answer.code,
        `the server refused this node: ${answer.message}`,
        true,
      );
    }
    const { local } = this;
    const expected = handshakeMac(
      local.key,
      this.clientNonce,
      this.serverNonce,
      local.clusterName,
      answer.nodeId,
    );
    if (!macMatches(expected, answer.mac)) {
      throw new HandshakeRejectedError(
        'TREMOR_CLUSTER_AUTH_FAILED',
        `server ${JSON.stringify(answer.nodeId)} did not prove the cluster secret`,
        false,
      );
    }
    if (answer.nodeId === local.nodeId) {
      throw new HandshakeRejectedError(
        'TREMOR_CLUSTER_NODE_ID_CONFLICT',
        `the server uses this node's id ${JSON.stringify(local.nodeId)}`,
        false,
      );
    }
    return { nodeId: answer.nodeId, role: answer.role };
  }
}

function parseChallenge(raw: unknown): Challenge {
  const m = handshakeMap(raw, 'challenge');
  version(m.v);
  return { t: 'challenge', v: PROTOCOL_VERSION, nonce: nonce(m.nonce, 'challenge.nonce') };
}

function parseHello(raw: unknown): Hello {
  const m = handshakeMap(raw, 'hello');
  version(m.v);
  return {
    t: 'hello',
    v: PROTOCOL_VERSION,
    clusterName: id(m.clusterName, 'hello.clusterName'),
    nodeId: id(m.nodeId, 'hello.nodeId'),
    role: role(m.role, 'hello.role'),
    clientNonce: nonce(m.clientNonce, 'hello.clientNonce'),
    mac: binary(m.mac, 'hello.mac'),
  };
}

function parseAnswer(raw: unknown): Welcome | Reject {
  const m = map(raw);
  if (m.t === 'reject') {
    const code = REJECTION_CODES.find((c) => c === m.code);
    if (code === undefined) throw bad('reject.code is unknown');
    const message = typeof m.message === 'string' ? m.message.slice(0, 1024) : '';
    return { t: 'reject', code, message };
  }
  if (m.t !== 'welcome') throw bad('expected welcome or reject');
  return {
    t: 'welcome',
    nodeId: id(m.nodeId, 'welcome.nodeId'),
    role: role(m.role, 'welcome.role'),
    mac: binary(m.mac, 'welcome.mac'),
  };
}

function bad(detail: string): ProtocolError {
  return new ProtocolError('invalid-message', `handshake: ${detail}`);
}

function map(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) {
    throw bad('frame is not a map');
  }
  return raw as Record<string, unknown>;
}

function handshakeMap(raw: unknown, t: string): Record<string, unknown> {
  const m = map(raw);
  if (m.t !== t) throw bad(`expected ${t}`);
  return m;
}

function version(v: unknown): void {
  if (v !== PROTOCOL_VERSION) {
    throw bad(`protocol version ${String(v)} is not ${PROTOCOL_VERSION}`);
  }
}

function id(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) {
    throw bad(`${path} is not a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  return v;
}

function role(v: unknown, path: string): NodeRole {
  if (v !== 'coordinator' && v !== 'worker') throw bad(`${path} is not a role`);
  return v;
}

function binary(v: unknown, path: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > 1024) throw bad(`${path} is not binary`);
  return v;
}

function nonce(v: unknown, path: string): Uint8Array {
  const b = binary(v, path);
  if (b.length !== NONCE_BYTES) throw bad(`${path} is not ${NONCE_BYTES} bytes`);
  return b;
}
