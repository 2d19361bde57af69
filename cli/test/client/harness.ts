/**
 * Drives the `tremor` program for the client command tests: a fake API behind an injected
 * `fetch` (or the real one), a virtual clock, and captured output and exit statuses.
 */
import { buildProgram } from '../../program';
import type { Clock } from '../../client/context';

/** A valid flow (docs/flows.md): one http source, no operators, a null sink. */
export const DEMO_FLOW = {
  id: 'demo',
  sources: [{ id: 'in', kind: 'http' }],
  distribution: { strategy: 'round-robin' },
  pipeline: [],
  sinks: [{ id: 'out', kind: 'null' }],
};

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface FakeAnswer {
  readonly status?: number;
  /** Sent as JSON, unless `text` is given. */
  readonly body?: unknown;
  readonly text?: string;
}

type Handler = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

/** Routes by `METHOD /path`; an unrouted request fails the test that made it. */
export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();

  on(route: string, answer: FakeAnswer | Handler): this {
    this.routes.set(route, typeof answer === 'function' ? answer : () => answer);
    return this;
  }

  /** The `METHOD /path` of every request so far, in order. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      method,
      url: url.href,
      path: url.pathname,
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : (JSON.parse(text) as unknown),
    };
    this.requests.push(request);
    const handler = this.routes.get(`${method} ${url.pathname}`);
    if (handler === undefined) throw new Error(`fake API: no route for ${method} ${url.pathname}`);
    const answer = await handler(request);
    const status = answer.status ?? 200;
    const payload = answer.text ?? (answer.body === undefined ? null : JSON.stringify(answer.body));
    return new Response(status === 204 ? null : payload, {
      status,
      headers: { 'content-type': answer.text === undefined ? 'application/json' : 'text/html' },
    });
  };
}

export function apiError(status: number, code: string, message: string, details: unknown[] = []) {
  return { status, body: { error: { code, message, details } } };
}

/** Time moves only when the program sleeps. */
export class VirtualClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exits: readonly number[];
}

export interface RunOptions {
  readonly fetch?: typeof fetch;
  readonly env?: NodeJS.ProcessEnv;
  /** Files by path; a path not listed cannot be read. */
  readonly files?: Record<string, string>;
  /** Reads files instead of `files` (the real file system, in the end-to-end test). */
  readonly readFile?: (path: string) => string;
  readonly isTTY?: boolean;
  readonly clock?: Clock;
}

/** Runs `tremor ARGS` and returns what it wrote and the exit status it asked for. */
export async function tremor(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const exits: number[] = [];
  const files = options.files;
  const program = buildProgram({
    version: '0.0.0-test',
    runServer: () => Promise.reject(new Error('no server in the client tests')),
    fetch: options.fetch,
    clock: options.clock ?? new VirtualClock(),
    io: {
      stdout: { write: (s: string) => (stdout += s), columns: 100, isTTY: options.isTTY },
      stderr: { write: (s: string) => (stderr += s) },
      env: options.env ?? {},
      readFile:
        options.readFile ??
        ((p) => {
          const text = files?.[p];
          if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
          return text;
        }),
      hostname: () => 'test-host',
      exit: (code) => void exits.push(code),
    },
  });
  await program.parseAsync(['node', 'tremor', ...args]);
  return { stdout, stderr, exits };
}
