/**
 * The connection this node keeps open to one peer address, redialled with backoff (backoff.ts)
 * whenever it fails or drops, until stopped.
 *
 * Lifecycle:
 *
 *   connecting ──(handshake verified)──▶ connected ──(connection lost)──▶ backoff
 *   connecting ──(connect fails, refused, protocol error, timeout)──────▶ backoff
 *   backoff ──(delay elapsed)──▶ connecting
 *   any ──(stop)──▶ stopped (final)
 *
 * A refusal in the handshake (wrong secret, wrong cluster name) is a configuration problem, but it
 * is retried like any failure: the other side may be reconfigured or replaced, and the backoff
 * keeps the attempts (and their error logs) rare. `whenConnected` is how a caller that must not
 * start without the peer (a worker joining) learns about such a refusal as a typed error.
 */
import type { BackoffPolicy } from './backoff';
import { backoffDelay } from './backoff';
import type { Connection, ConnectionEvents } from './connection';
import { HandshakeRejectedError, TransportError, transportClosedError } from './errors';
import type { PeerIdentity } from './handshake';
import type { TransportLogger } from './logger';

export type LinkState = 'connecting' | 'connected' | 'backoff' | 'stopped';

export interface OutboundLinkDeps {
  /** Opens a socket to the address and wraps it in a client-side Connection with `events`. */
  readonly dial: (link: OutboundLink, events: ConnectionEvents) => Connection;
  /** The transport's own handlers, called after the link has updated itself. */
  readonly forward: ConnectionEvents;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly logger: TransportLogger;
}

interface Waiter {
  readonly resolve: (peer: PeerIdentity) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class OutboundLink {
  private stateValue: LinkState = 'connecting';
  private connection: Connection | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private lastErrorValue: Error | null = null;
  private readonly waiters = new Set<Waiter>();

  constructor(
    /** Normalized `host:port`, the key the transport knows this link by. */
    readonly address: string,
    readonly host: string,
    readonly port: number,
    private readonly deps: OutboundLinkDeps,
  ) {
    this.dial();
  }

  get state(): LinkState {
    return this.stateValue;
  }

  /** The peer behind the address, as proven in the last successful handshake. */
  get peer(): PeerIdentity | null {
    return this.stateValue === 'connected' ? (this.connection?.peer ?? null) : null;
  }

  /** Why the last attempt failed; null once connected. */
  get lastError(): Error | null {
    return this.lastErrorValue;
  }

  /** The ready connection, if any. */
  get readyConnection(): Connection | null {
    return this.stateValue === 'connected' ? this.connection : null;
  }

  /**
   * Resolves with the peer's identity once connected. Rejects with the HandshakeRejectedError of
   * the next refusal (its `code` names the reason), with `TREMOR_CLUSTER_PEER_UNAVAILABLE` after
   * `timeoutMs` (the last failure as its cause), or with `TREMOR_CLUSTER_TRANSPORT_CLOSED`.
   */
  whenConnected(timeoutMs: number): Promise<PeerIdentity> {
    const peer = this.peer;
    if (peer) return Promise.resolve(peer);
    if (this.stateValue === 'stopped') return Promise.reject(transportClosedError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new TransportError(
              'TREMOR_CLUSTER_PEER_UNAVAILABLE',
              `no connection to ${this.address} within ${timeoutMs} ms`,
              { cause: this.lastErrorValue },
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops redialling and closes the connection; resolves once its socket is closed. */
  stop(): Promise<void> {
    if (this.stateValue === 'stopped') return this.connection?.closed ?? Promise.resolve();
    this.stateValue = 'stopped';
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.settleWaiters((w) => w.reject(transportClosedError()));
    const conn = this.connection;
    conn?.destroy();
    return conn?.closed ?? Promise.resolve();
  }

  private dial(): void {
    this.stateValue = 'connecting';
    const events: ConnectionEvents = {
      onReady: (conn) => {
        if (conn !== this.connection || this.stateValue === 'stopped') return;
        this.stateValue = 'connected';
        this.attempt = 0;
        this.lastErrorValue = null;
        const peer = conn.peer;
        if (peer) this.settleWaiters((w) => w.resolve(peer));
        this.deps.forward.onReady(conn);
      },
      onMessage: (conn, msg) => this.deps.forward.onMessage(conn, msg),
      onClose: (conn, reason) => {
        this.deps.forward.onClose(conn, reason);
        if (conn !== this.connection) return;
        this.onConnectionClosed(reason);
      },
    };
    this.connection = this.deps.dial(this, events);
  }

  private onConnectionClosed(reason: Error | null): void {
    if (this.stateValue === 'stopped') return;
    const wasConnected = this.stateValue === 'connected';
    this.lastErrorValue =
      reason ??
      new TransportError(
        'TREMOR_CLUSTER_PEER_UNAVAILABLE',
        `connection to ${this.address} closed by the peer`,
      );
    if (reason instanceof HandshakeRejectedError) {
      this.settleWaiters((w) => w.reject(reason));
    }
    const delay = backoffDelay(this.deps.backoff, this.attempt++, this.deps.random);
    this.deps.logger[wasConnected ? 'info' : 'debug'](
      { address: this.address, delayMs: delay, reason: reason?.message },
      wasConnected ? 'cluster connection lost; reconnecting' : 'cluster connect failed; retrying',
    );
    this.stateValue = 'backoff';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stateValue === 'backoff') this.dial();
    }, delay);
  }

  private settleWaiters(settle: (w: Waiter) => void): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      settle(w);
    }
    this.waiters.clear();
  }
}
