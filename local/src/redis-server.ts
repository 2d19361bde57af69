/**
 * A real redis-server (Debian's) for tests and the local cluster: its own free port and
 * directory, persistence as the caller asks (`--appendonly yes` where "nothing lost" is tested),
 * stopped with its process. `crash()` and `restart()` let tests take it down hard and bring it
 * back on the same port and directory, as an operator's restart would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** kill -9: what was not yet written to the AOF (per `appendFsync`) is lost. */
  crash(): Promise<void>;
  /** Starts it again on the same port and directory (after `crash`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  readonly appendOnly?: boolean;
  /** `always` makes every acknowledged write survive a crash; Redis' default is `everysec`. */
  readonly appendFsync?: 'always' | 'everysec';
  /** A given port (to bring a server back where clients expect it); default: a free one. */
  readonly port?: number;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tremor-redis-'));
  let running: Running | null = await launch(port, dir, options);
  const crash = async (): Promise<void> => {
    if (running === null) return;
    running.child.kill('SIGKILL');
    await running.exited;
    running = null;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    crash,
    restart: async () => {
      await crash();
      running = await launch(port, dir, options);
    },
    stop: async () => {
      await crash();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

async function launch(port: number, dir: string, options: RedisOptions): Promise<Running> {
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      options.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      options.appendFsync ?? 'everysec',
      '--daemonize',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not start on port ${port} (is Debian's redis-server installed?)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.write('PING\r\n');
    });
    s.once('data', (b) => {
      s.destroy();
      // A server still loading its AOF answers -LOADING: not ready yet.
      resolve(b.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}
