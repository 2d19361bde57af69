/**
 * `ClusterTransport`: the node's end of the cluster port (8139 by default). Coordinators carry
 * Raft over it; workers will carry control (join, heartbeats, state watch) as requests and
 * pushes. Every connection is authenticated by the mutual handshake (handshake.ts) before any
 * message is accepted, and every peer is known by the node id it proved there.
 *
 * Connections: `connect(address)` keeps one outgoing connection per address, redialled with
 * backoff (outbound-link.ts); `listen` accepts incoming ones. Two coordinators that dial each
 * other end up with two connections; a message to a peer goes over our own outgoing connection
 * when it is up, else over the newest incoming one, so one direction of a pair stays on one TCP
 * stream (in order) as long as that stream lives. A second incoming connection from the same node
 * id replaces the first (the peer restarted or redialled; the old socket may be half dead).
 *
 * Delivery: `send` (Raft) and `push` are fire and forget: they never throw, and a message that
 * cannot be handed to a ready socket is dropped and counted (Raft retransmits; watches resync).
 * `request` resolves with the remote handler's answer or rejects with a typed error. Writes queue
 * in memory only up to `maxWriteBufferBytes` per connection, so a stuck peer costs bounded memory.
 *
 * Bad input never crashes the node: a peer that breaks the protocol (framing, decoding, message
 * shape, a Raft message from a worker or in another node's name) is logged, counted and closed,
 * and everything else carries on.
 *
 * Lifecycle:
 *
 *   open ──close()──▶ closing ──(links stopped, sockets closed, listener closed)──▶ closed
 *
 * `listen` may be called once while `open`; `connect`, `send`, `push` and `request` work only
 * while `open` (afterwards they drop, or reject with `TREMOR_CLUSTER_TRANSPORT_CLOSED`).
 */
import net from 'node:net';
import type { Message, NodeId } from '../raft/types';
import { formatClusterAddress, parseClusterAddress, DEFAULT_CLUSTER_PORT } from './address';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { Connection, type ConnectionEvents, type ConnectionOptions } from './connection';
import { newCounters, type TransportCounters } from './counters';
import {
  HANDLER_FAILED,
  NO_HANDLER,
  ProtocolError,
  RemoteRequestError,
  TransportError,
  transportClosedError,
} from './errors';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-codec';
import type { NodeRole, PeerIdentity, RandomBytes } from './handshake';
import { SILENT_LOGGER, type TransportLogger } from './logger';
import type { WireMessage } from './messages';
import { OutboundLink } from './outbound-link';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;

export interface ClusterTransportOptions {
  readonly nodeId: NodeId;
  readonly role: NodeRole;
  readonly clusterName: string;
  /** `--cluster-secret`; null or empty means none: allowed (the CLI warns). */
  readonly secret: string | Uint8Array | null;
  readonly maxFrameBytes?: number;
  readonly handshakeTimeoutMs?: number;
  /** Per connection; defaults to four maximum frames. */
  readonly maxWriteBufferBytes?: number;
  /** Incoming connections still in their handshake; more are closed on accept. */
  readonly maxPendingHandshakes?: number;
  readonly backoff?: Partial<BackoffPolicy>;
  /** For reconnect jitter; nonces always come from `randomBytes` (crypto by default). */
  readonly random?: () => number;
  readonly randomBytes?: RandomBytes;
  readonly logger?: TransportLogger;
}

export type TransportState = 'open' | 'closing' | 'closed';

export type RaftHandler = (from: PeerIdentity, msg: Message) => void;
/** Resolves with the response body; a rejection's `code` (if a string) reaches the requester. */
export type RequestHandler = (
  from: PeerIdentity,
  method: string,
  body: unknown,
) => Promise<unknown>;
export type PushHandler = (from: PeerIdentity, topic: string, body: unknown) => void;
/** `up` when the first authenticated connection to a node opens, `down` when its last one closes. */
export type PeerListener = (event: 'up' | 'down', peer: PeerIdentity) => void;

interface PendingRequest {
  readonly conn: Connection;
  readonly method: string;
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class ClusterTransport {
  private stateValue: TransportState = 'open';
  private closing: Promise<void> | null = null;
  private server: net.Server | null = null;
  private readonly countersValue = newCounters();
  private readonly connectionOptions: ConnectionOptions;
  private readonly logger: TransportLogger;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly maxPendingHandshakes: number;
  private readonly inbound = new Set<Connection>();
  private readonly inboundById = new Map<NodeId, Connection>();
  private readonly links = new Map<string, OutboundLink>();
  private readonly outboundById = new Map<NodeId, Connection>();
  private readonly readyCount = new Map<NodeId, number>();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private raftHandler: RaftHandler | null = null;
  private requestHandler: RequestHandler | null = null;
  private pushHandler: PushHandler | null = null;
  private readonly peerListeners: PeerListener[] = [];

  constructor(readonly options: ClusterTransportOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    const key =
      typeof options.secret === 'string'
        ? Buffer.from(options.secret, 'utf8')
        : (options.secret ?? new Uint8Array(0));
    // No secret is allowed; the CLI warns about it once per process (cli/server-config.ts), which
    // a transport cannot do: a process may open several over its life.
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.connectionOptions = {
      local: {
        nodeId: options.nodeId,
        role: options.role,
        clusterName: options.clusterName,
        key,
      },
      maxFrameBytes,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxWriteBufferBytes: options.maxWriteBufferBytes ?? 4 * maxFrameBytes,
      counters: this.countersValue,
      logger: this.logger,
      ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
    };
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.random = options.random ?? Math.random;
    this.maxPendingHandshakes = options.maxPendingHandshakes ?? 128;
  }

  get state(): TransportState {
    return this.stateValue;
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  /** The port the listener is bound to (the real one when `listen` was given 0), else null. */
  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  /** A copy of the counters at this moment. */
  counters(): TransportCounters {
    return { ...this.countersValue };
  }

  onRaft(handler: RaftHandler): void {
    this.raftHandler = handler;
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  onPush(handler: PushHandler): void {
    this.pushHandler = handler;
  }

  onPeer(listener: PeerListener): void {
    this.peerListeners.push(listener);
  }

  /** Nodes with at least one authenticated connection. */
  connectedPeers(): PeerIdentity[] {
    const peers = new Map<NodeId, PeerIdentity>();
    for (const conn of [...this.outboundById.values(), ...this.inboundById.values()]) {
      if (conn.peer) peers.set(conn.peer.nodeId, conn.peer);
    }
    return [...peers.values()];
  }

  isConnected(nodeId: NodeId): boolean {
    return this.connectionTo(nodeId) !== null;
  }

  listen(
    host = '0.0.0.0',
    port = DEFAULT_CLUSTER_PORT,
  ): Promise<{ readonly host: string; readonly port: number }> {
    if (this.stateValue !== 'open') return Promise.reject(transportClosedError());
    if (this.server) return Promise.reject(new Error('ClusterTransport.listen called twice'));
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error): void => {
        this.server = null;
        reject(err);
      };
      server.once('error', onListenError);
      server.listen(port, host, () => {
        server.off('error', onListenError);
        server.on('error', (err) =>
          this.logger.error({ err }, 'cluster port listener failed to accept'),
        );
        const bound = this.port ?? port;
        this.logger.info({ host, port: bound }, 'cluster transport listening');
        resolve({ host, port: bound });
      });
    });
  }

  /**
   * Keeps a connection to `address` (`host[:port]`, port 8139 by default) from now until
   * `disconnect` or `close`; idempotent per address. Throws only for an unparsable address.
   */
  connect(address: string): OutboundLink {
    const parsed = parseClusterAddress(address);
    const key = formatClusterAddress(parsed);
    const existing = this.links.get(key);
    if (existing) return existing;
    if (this.stateValue !== 'open') throw transportClosedError();
    const link = new OutboundLink(key, parsed.host, parsed.port, {
      dial: (l, events) =>
        new Connection(
          net.connect({ host: l.host, port: l.port }),
          'client',
          l.address,
          this.connectionOptions,
          events,
        ),
      forward: this.events,
      backoff: this.backoff,
      random: this.random,
      logger: this.logger,
    });
    this.links.set(key, link);
    return link;
  }

  async disconnect(address: string): Promise<void> {
    const key = formatClusterAddress(parseClusterAddress(address));
    const link = this.links.get(key);
    if (!link) return;
    this.links.delete(key);
    await link.stop();
  }

  /** Hands a Raft message to the peer's connection; false (counted) if it was dropped. */
  send(peerId: NodeId, msg: Message): boolean {
    return this.deliver(peerId, { t: 'raft', msg });
  }

  /** One-way notification; false (counted) if it was dropped. */
  push(peerId: NodeId, topic: string, body: unknown): boolean {
    return this.deliver(peerId, { t: 'push', topic, body });
  }

  /**
   * Calls `method` on the peer. Rejects with `TREMOR_CLUSTER_PEER_UNAVAILABLE` (not connected, or
   * the connection was lost before the answer), `TREMOR_CLUSTER_REQUEST_TIMEOUT`,
   * `TREMOR_CLUSTER_MESSAGE_TOO_LARGE`, `TREMOR_CLUSTER_TRANSPORT_CLOSED`, or a RemoteRequestError
   * carrying the remote handler's error code. A timed-out request may still have run remotely.
   */
  request(peerId: NodeId, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.stateValue !== 'open') return Promise.reject(transportClosedError());
    const conn = this.connectionTo(peerId);
    if (!conn) {
      return Promise.reject(
        new TransportError('TREMOR_CLUSTER_PEER_UNAVAILABLE', `no connection to node ${peerId}`),
      );
    }
    const id = this.nextRequestId++;
    const outcome = conn.send({ t: 'req', id, method, body });
    if (outcome === 'unencodable') {
      return Promise.reject(
        new TransportError(
          'TREMOR_CLUSTER_MESSAGE_TOO_LARGE',
          `request ${method} cannot be encoded within ${this.connectionOptions.maxFrameBytes} bytes`,
        ),
      );
    }
    if (outcome !== 'sent') {
      return Promise.reject(
        new TransportError(
          'TREMOR_CLUSTER_PEER_UNAVAILABLE',
          `connection to node ${peerId} cannot take the request (${outcome})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.countersValue.requestsTimedOut++;
        reject(
          new TransportError(
            'TREMOR_CLUSTER_REQUEST_TIMEOUT',
            `request ${method} to node ${peerId} not answered within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { conn, method, resolve, reject, timer });
    });
  }

  /** Stops everything: no timer, socket or listener is left once this resolves. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Pending requests first, so that they fail as "closed", not as "connection lost".
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(transportClosedError());
    }
    const closed: Promise<void>[] = [];
    for (const link of this.links.values()) closed.push(link.stop());
    this.links.clear();
    for (const conn of this.inbound) {
      conn.destroy();
      closed.push(conn.closed);
    }
    const server = this.server;
    if (server) closed.push(new Promise((resolve) => server.close(() => resolve())));
    await Promise.all(closed);
    this.stateValue = 'closed';
  }

  private deliver(peerId: NodeId, msg: WireMessage): boolean {
    const conn = this.stateValue === 'open' ? this.connectionTo(peerId) : null;
    if (!conn) {
      this.countersValue.dropsNotConnected++;
      return false;
    }
    const outcome = conn.send(msg);
    if (outcome === 'sent') return true;
    if (outcome === 'backpressure') this.countersValue.dropsBackpressure++;
    else if (outcome === 'unencodable') this.countersValue.dropsUnencodable++;
    else this.countersValue.dropsNotConnected++;
    return false;
  }

  private connectionTo(peerId: NodeId): Connection | null {
    return this.outboundById.get(peerId) ?? this.inboundById.get(peerId) ?? null;
  }

  private accept(socket: net.Socket): void {
    if (this.stateValue !== 'open') {
      socket.destroy();
      return;
    }
    this.countersValue.connectionsAccepted++;
    let handshaking = 0;
    for (const c of this.inbound) if (c.state === 'handshaking') handshaking++;
    if (handshaking >= this.maxPendingHandshakes) {
      this.countersValue.connectionsRefused++;
      this.logger.warn(
        { remote: socket.remoteAddress, pending: handshaking },
        'too many cluster handshakes in progress; connection closed',
      );
      socket.destroy();
      return;
    }
    const label = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.inbound.add(new Connection(socket, 'server', label, this.connectionOptions, this.events));
  }

  private readonly events: ConnectionEvents = {
    onReady: (conn) => this.onReady(conn),
    onMessage: (conn, msg) => this.onMessage(conn, msg),
    onClose: (conn, reason) => this.onClose(conn, reason),
  };

  private onReady(conn: Connection): void {
    const peer = conn.peer;
    if (!peer) return;
    const byId = conn.side === 'server' ? this.inboundById : this.outboundById;
    const previous = byId.get(peer.nodeId);
    byId.set(peer.nodeId, conn);
    // Counted before the previous connection closes, so a replacement is not a down and an up.
    const count = (this.readyCount.get(peer.nodeId) ?? 0) + 1;
    this.readyCount.set(peer.nodeId, count);
    this.logger.info(
      { peer: peer.nodeId, role: peer.role, remote: conn.label, side: conn.side },
      'cluster connection authenticated',
    );
    if (count === 1) this.notifyPeer('up', peer);
    if (previous && conn.side === 'server') {
      this.logger.info(
        { peer: peer.nodeId, remote: conn.label },
        'node reconnected; closing its previous cluster connection',
      );
      previous.close();
    }
  }

  private onClose(conn: Connection, reason: Error | null): void {
    if (conn.side === 'server') this.inbound.delete(conn);
    for (const [id, p] of this.pending) {
      if (p.conn !== conn) continue;
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(
        new TransportError(
          'TREMOR_CLUSTER_PEER_UNAVAILABLE',
          `connection to node ${conn.peer?.nodeId ?? conn.label} lost before ${p.method} was answered`,
          { cause: reason },
        ),
      );
    }
    const peer = conn.peer;
    if (!peer) return; // never authenticated: no one knew about it
    const byId = conn.side === 'server' ? this.inboundById : this.outboundById;
    if (byId.get(peer.nodeId) === conn) byId.delete(peer.nodeId);
    const count = (this.readyCount.get(peer.nodeId) ?? 1) - 1;
    if (count > 0) {
      this.readyCount.set(peer.nodeId, count);
    } else {
      this.readyCount.delete(peer.nodeId);
      this.notifyPeer('down', peer);
    }
  }

  /** Runs inside the connection's read loop: a thrown ProtocolError closes that connection. */
  private onMessage(conn: Connection, msg: WireMessage): void {
    const peer = conn.peer;
    if (!peer) return;
    switch (msg.t) {
      case 'raft':
        return this.onRaftMessage(peer, msg.msg);
      case 'req':
        return this.onRequestMessage(conn, peer, msg.id, msg.method, msg.body);
      case 'res': {
        const p = this.pending.get(msg.id);
        // A late answer to a request that timed out, or an id this connection never used.
        if (!p || p.conn !== conn) return;
        clearTimeout(p.timer);
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.body);
        else p.reject(new RemoteRequestError(msg.error.code, msg.error.message, p.method));
        return;
      }
      case 'push':
        if (this.pushHandler) {
          const handler = this.pushHandler;
          this.runHandler('push', peer, () => handler(peer, msg.topic, msg.body));
        }
        return;
    }
  }

  private onRaftMessage(peer: PeerIdentity, msg: Message): void {
    // Roles are self-declared by holders of the secret, so these checks catch misconfiguration
    // and bugs, not a malicious member.
    if (peer.role !== 'coordinator') {
      throw new ProtocolError('unexpected-message', `worker ${peer.nodeId} sent a Raft message`);
    }
    if (msg.from !== peer.nodeId) {
      throw new ProtocolError(
        'invalid-message',
        `node ${peer.nodeId} sent a Raft message from ${JSON.stringify(msg.from)}`,
      );
    }
    if (msg.to !== this.options.nodeId) {
      this.countersValue.dropsMisaddressed++;
      this.logger.warn(
        { peer: peer.nodeId, to: msg.to, type: msg.type },
        'Raft message addressed to another node; dropped',
      );
      return;
    }
    const handler = this.raftHandler;
    if (handler) this.runHandler('raft', peer, () => handler(peer, msg));
  }

  private onRequestMessage(
    conn: Connection,
    peer: PeerIdentity,
    id: number,
    method: string,
    body: unknown,
  ): void {
    const handler = this.requestHandler;
    if (!handler) {
      conn.send({
        t: 'res',
        id,
        ok: false,
        error: { code: NO_HANDLER, message: `node ${this.options.nodeId} serves no requests` },
      });
      return;
    }
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(handler(peer, method, body));
    } catch (err) {
      answer = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    void answer.then(
      (result) => {
        conn.send({ t: 'res', id, ok: true, body: result });
      },
      (err: unknown) => {
        const code = errorCode(err);
        if (code === HANDLER_FAILED) {
          this.logger.warn({ peer: peer.nodeId, method, err }, 'cluster request handler failed');
        }
        conn.send({
          t: 'res',
          id,
          ok: false,
          error: { code, message: err instanceof Error ? err.message : String(err) },
        });
      },
    );
  }

  private runHandler(kind: string, peer: PeerIdentity, run: () => void): void {
    try {
      run();
    } catch (err) {
      // A bug on this side, not the peer's fault: keep the connection, make the bug visible.
      this.countersValue.handlerErrors++;
      this.logger.error({ peer: peer.nodeId, kind, err }, 'cluster message handler threw');
    }
  }

  private notifyPeer(event: 'up' | 'down', peer: PeerIdentity): void {
    for (const listener of this.peerListeners) {
      try {
        listener(event, peer);
      } catch (err) {
        this.countersValue.handlerErrors++;
        this.logger.error({ peer: peer.nodeId, event, err }, 'cluster peer listener threw');
      }
    }
  }
}

function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : null;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,127}$/.test(code) ? code : HANDLER_FAILED;
}
