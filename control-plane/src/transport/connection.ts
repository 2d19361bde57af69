/**
 * One TCP connection of the cluster transport, on either side: it drives the handshake
 * (handshake.ts), then carries wire messages (messages.ts) in frames (frame-codec.ts).
 *
 * Lifecycle:
 *
 *   handshaking ──(handshake verified)──▶ ready ──(close, socket error or end)──▶ closed
 *        └──(refused, protocol error, timeout, socket error or end)──────────────▶ closed
 *
 * In `handshaking` the server side has sent its challenge and waits for the hello; the client
 * side waits for the challenge, answers, then waits for the welcome or the rejection. Any other
 * frame is a protocol error. The handshake timer runs from the moment the connection object
 * exists, so on the client side it also bounds the TCP connect. `closed` is final: `onClose` has
 * been called exactly once, with the reason (null when the peer simply went away or we closed it),
 * and the socket is destroyed or, after a rejection frame, being flushed and then destroyed.
 */
import type { Socket } from 'node:net';
import type { TransportCounters } from './counters';
import { HandshakeRejectedError, ProtocolError, TransportError } from './errors';
import { encodeFrame, encodePayload, FrameDecoder, frameOf } from './frame-codec';
import {
  ClientHandshake,
  HANDSHAKE_MAX_FRAME_BYTES,
  ServerHandshake,
  type LocalIdentity,
  type PeerIdentity,
  type RandomBytes,
} from './handshake';
import type { TransportLogger } from './logger';
import { parseWireMessage, toWire, type WireMessage } from './messages';

export type ConnectionState = 'handshaking' | 'ready' | 'closed';

export type ConnectionSide = 'server' | 'client';

/** What became of one message handed to `send`; anything but `sent` means it was dropped. */
export type SendOutcome = 'sent' | 'not-ready' | 'backpressure' | 'unencodable';

export interface ConnectionOptions {
  readonly local: LocalIdentity;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  /** Past this many bytes queued on the socket, messages are dropped instead of queued. */
  readonly maxWriteBufferBytes: number;
  readonly counters: TransportCounters;
  readonly logger: TransportLogger;
  readonly randomBytes?: RandomBytes;
}

export interface ConnectionEvents {
  onReady(conn: Connection): void;
  onMessage(conn: Connection, msg: WireMessage): void;
  onClose(conn: Connection, reason: Error | null): void;
}

export class Connection {
  private stateValue: ConnectionState = 'handshaking';
  private peerValue: PeerIdentity | null = null;
  private readonly decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private readonly server: ServerHandshake | null;
  private readonly client: ClientHandshake | null;
  private clientSentHello = false;
  private handshakeTimer: NodeJS.Timeout | null;
  private corked = false;
  /** Settles when the socket has closed, so the transport's `close` leaves no handle behind. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    readonly side: ConnectionSide,
    /** The remote address as we know it, for logs. */
    readonly label: string,
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.terminate(err));
    socket.on('close', () => this.terminate(null));
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), options.handshakeTimeoutMs);
    if (side === 'server') {
      this.server = new ServerHandshake(options.local, options.randomBytes);
      this.client = null;
      this.writeFrame(encodeFrame(this.server.challenge));
    } else {
      this.server = null;
      this.client = new ClientHandshake(options.local, options.randomBytes);
    }
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Who the peer proved to be; null until `ready`. */
  get peer(): PeerIdentity | null {
    return this.peerValue;
  }

  send(msg: WireMessage): SendOutcome {
    if (this.stateValue !== 'ready') return 'not-ready';
    let payload: Buffer;
    try {
      payload = encodePayload(toWire(msg));
    } catch (err) {
      this.options.logger.warn(
        { peer: this.peerValue?.nodeId, err },
        'cluster message cannot be encoded; dropped',
      );
      return 'unencodable';
    }
    // The receiver would refuse it and close the connection: dropping it here costs only it.
    if (payload.length > this.options.maxFrameBytes) return 'unencodable';
    if (this.socket.writableLength + payload.length > this.options.maxWriteBufferBytes) {
      return 'backpressure';
    }
    this.writeFrame(frameOf(payload));
    return 'sent';
  }

  /** Closes the connection (idempotent); `reason` is what `onClose` reports. */
  close(reason: Error | null = null): void {
    this.terminate(reason);
  }

  /** Closes and does not wait for a rejection frame to flush: for the transport's shutdown. */
  destroy(): void {
    this.terminate(null);
    this.socket.destroy();
  }

  private writeFrame(frame: Buffer): void {
    // Corking for the rest of this tick turns the burst of messages a Raft Ready produces into
    // one write to the kernel instead of one per message.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
    this.options.counters.framesOut++;
    this.options.counters.bytesOut += frame.length;
  }

  private onData(chunk: Buffer): void {
    if (this.stateValue === 'closed') return;
    this.options.counters.bytesIn += chunk.length;
    this.decoder.push(chunk);
    try {
      // A frame can close the connection (a refusal, a protocol error): stop reading then.
      while (!this.isClosed()) {
        const frame = this.decoder.read();
        if (frame === null) return;
        this.options.counters.framesIn++;
        this.onFrame(frame.value);
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.options.counters.protocolErrors++;
        this.options.logger.warn(
          { remote: this.label, peer: this.peerValue?.nodeId, code: err.code, reason: err.message },
          'closing cluster connection: protocol error',
        );
        this.terminate(err);
      } else if (err instanceof HandshakeRejectedError) {
        this.onRejected(err);
        this.terminate(err);
      } else {
        throw err;
      }
    }
  }

  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private onFrame(value: unknown): void {
    if (this.stateValue === 'ready') {
      this.events.onMessage(this, parseWireMessage(value));
    } else if (this.server) {
      const result = this.server.answer(value);
      if (!result.ok) {
        this.onRejected(result.error);
        this.terminate(result.error, encodeFrame(result.reply));
        return;
      }
      this.writeFrame(encodeFrame(result.reply));
      this.becomeReady(result.peer);
    } else if (this.client) {
      if (!this.clientSentHello) {
        this.writeFrame(encodeFrame(this.client.hello(value)));
        this.clientSentHello = true;
      } else {
        this.becomeReady(this.client.finish(value));
      }
    }
  }

  private becomeReady(peer: PeerIdentity): void {
    this.clearHandshakeTimer();
    this.peerValue = peer;
    this.stateValue = 'ready';
    this.decoder.setMaxFrameBytes(this.options.maxFrameBytes);
    this.options.counters.handshakesCompleted++;
    this.events.onReady(this);
  }

  private onRejected(err: HandshakeRejectedError): void {
    const { counters, logger } = this.options;
    if (err.byRemote) counters.rejectedByPeer++;
    else if (err.reason === 'TREMOR_CLUSTER_AUTH_FAILED') counters.authFailures++;
    else if (err.reason === 'TREMOR_CLUSTER_NAME_MISMATCH') counters.nameMismatches++;
    else counters.nodeIdConflicts++;
    // A refusal either way is a configuration problem an operator must see.
    logger.error(
      { remote: this.label, side: this.side, code: err.code, reason: err.message },
      'cluster handshake refused',
    );
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this.stateValue !== 'handshaking') return;
    this.options.counters.handshakeTimeouts++;
    const err = new TransportError(
      'TREMOR_CLUSTER_HANDSHAKE_TIMEOUT',
      `cluster handshake with ${this.label} not completed within ${this.options.handshakeTimeoutMs} ms`,
    );
    this.options.logger.warn({ remote: this.label, side: this.side }, err.message);
    this.terminate(err);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
  }

  private terminate(reason: Error | null, lastFrame?: Buffer): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.clearHandshakeTimer();
    if (lastFrame) {
      this.options.counters.framesOut++;
      this.options.counters.bytesOut += lastFrame.length;
      this.socket.end(lastFrame, () => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
    this.events.onClose(this, reason);
  }
}
