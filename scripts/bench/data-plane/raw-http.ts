/**
 * A minimal HTTP/1.1 client for the load: keep-alive sockets, one request at a time per socket,
 * the request written as one string, the answer read up to its Content-Length. The load tool
 * shares the 2 cores with the system it measures; node:http's client cost about 200 µs of CPU per
 * request here (a fifth of a core at our max rate), this a fraction of it, like autocannon's own
 * client. Good for our workers' answers only: they always carry Content-Length (no chunking).
 */
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

class Connection {
  private socket: net.Socket | null = null;
  private chunks: Buffer[] = [];
  private waiting: ((status: number) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Sends one request; resolves with the status, 0 when no (whole) answer came. */
  send(request: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.timer = setTimeout(() => this.fail(), timeoutMs);
      this.open().write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): net.Socket {
    if (this.socket !== null) return this.socket;
    const s = net.connect({ host: this.host, port: this.port, noDelay: true });
    // A socket closed earlier must not fail the request of the one that replaced it.
    s.on('data', (d: Buffer) => {
      if (this.socket === s) this.onData(d);
    });
    s.on('error', () => {
      if (this.socket === s) this.fail();
    });
    s.on('close', () => {
      if (this.socket === s) this.fail();
    });
    this.socket = s;
    this.chunks = [];
    return s;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    const buf = this.chunks.length === 1 ? d : Buffer.concat(this.chunks);
    const end = buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = buf.toString('latin1', 0, end);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const bodyLength = length === null ? 0 : Number(length[1]);
    if (buf.length < end + 4 + bodyLength) {
      this.chunks = [buf];
      return;
    }
    this.chunks = [];
    const status = Number(head.slice(9, 12));
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    this.done(status);
  }

  private fail(): void {
    this.close();
    this.done(0);
  }

  private done(status: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const w = this.waiting;
    this.waiting = null;
    w?.(status);
  }
}

/** Keep-alive connections to one server, one request at a time each, opened as needed. */
export class RawHttpPool {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly host: string;
  private readonly port: number;

  constructor(base: string) {
    const u = new URL(base);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  async post(path: string, json: string, timeoutMs = 10_000): Promise<number> {
    let c = this.idle.pop();
    if (c === undefined) {
      c = new Connection(this.host, this.port);
      this.all.push(c);
    }
    const request =
      `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
    try {
      return await c.send(request, timeoutMs);
    } finally {
      this.idle.push(c);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
    this.idle.length = 0;
    this.all.length = 0;
  }
}
