/**
 * Shared pieces of the transport tests: transports with test-sized timeouts that are all closed
 * after each test, a logger that records, polling, and raw sockets that speak just enough of the
 * protocol to misbehave on purpose.
 */
import net from 'node:net';
import type { Message } from '../../src/raft/types';
import {
  ClusterTransport,
  type ClusterTransportOptions,
} from '../../src/transport/cluster-transport';
import { encodeFrame, FrameDecoder } from '../../src/transport/frame-codec';
import { ClientHandshake, type LocalIdentity } from '../../src/transport/handshake';
import type { TransportLogger } from '../../src/transport/logger';

export const SECRET = 'correct-horse-battery-staple-7f3a';
export const CLUSTER = 'test-cluster';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

export function recordingLogger(): TransportLogger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: Record<string, unknown>, msg: string): void => {
      entries.push({ level, fields, msg });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Creates transports and closes every one of them (and every raw socket) in `closeAll`. */
export class Fixture {
  private readonly transports: ClusterTransport[] = [];
  private readonly sockets: net.Socket[] = [];
  private readonly servers: net.Server[] = [];

  transport(
    nodeId: string,
    options: Partial<ClusterTransportOptions> = {},
  ): ClusterTransport & { readonly log: ReturnType<typeof recordingLogger> } {
    const log = recordingLogger();
    const t = new ClusterTransport({
      nodeId,
      role: 'coordinator',
      clusterName: CLUSTER,
      secret: SECRET,
      handshakeTimeoutMs: 500,
      backoff: { initialMs: 10, maxMs: 100 },
      logger: log,
      ...options,
    });
    this.transports.push(t);
    return Object.assign(t, { log });
  }

  /** A transport listening on an ephemeral port of 127.0.0.1. */
  async listening(
    nodeId: string,
    options: Partial<ClusterTransportOptions> = {},
  ): Promise<ClusterTransport & { readonly log: ReturnType<typeof recordingLogger> }> {
    const t = this.transport(nodeId, options);
    await t.listen('127.0.0.1', 0);
    return t;
  }

  track<T extends net.Socket | net.Server>(s: T): T {
    if (s instanceof net.Server) this.servers.push(s);
    else this.sockets.push(s);
    return s;
  }

  async closeAll(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      ...this.transports.map((t) => t.close()),
      ...this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ]);
  }
}

export function addressOf(t: ClusterTransport): string {
  if (t.port === null) throw new Error('transport is not listening');
  return `127.0.0.1:${t.port}`;
}

export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function raftMessage(from: string, to: string, extra: Partial<Message> = {}): Message {
  return { type: 'heartbeat', from, to, term: 3, index: 0, logTerm: 0, commit: 7, ...extra };
}

/** A raw client socket; `closed` settles when the server closes it, `received` holds its bytes. */
export interface RawClient {
  readonly socket: net.Socket;
  readonly received: Buffer[];
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
}

export async function rawConnect(fixture: Fixture, port: number): Promise<RawClient> {
  const socket = fixture.track(net.connect({ host: '127.0.0.1', port }));
  const received: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received, closed: closedPromise, isClosed: () => closed };
}

/**
 * A raw client that completes the handshake as `identity` and can then write anything: for
 * misbehaving after authentication.
 */
export async function rawAuthenticated(
  fixture: Fixture,
  port: number,
  identity: Partial<LocalIdentity> = {},
): Promise<RawClient> {
  const raw = await rawConnect(fixture, port);
  const handshake = new ClientHandshake({
    nodeId: 'raw-client',
    role: 'coordinator',
    clusterName: CLUSTER,
    key: Buffer.from(SECRET),
    ...identity,
  });
  const decoder = new FrameDecoder();
  let offset = 0;
  const next = async (): Promise<unknown> => {
    for (;;) {
      while (offset < raw.received.length) {
        const chunk = raw.received[offset++];
        if (chunk) decoder.push(chunk);
      }
      const frame = decoder.read();
      if (frame) return frame.value;
      if (raw.isClosed()) throw new Error('closed during the handshake');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  raw.socket.write(encodeFrame(handshake.hello(await next())));
  handshake.finish(await next());
  return raw;
}
