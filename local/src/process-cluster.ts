/**
 * Coordinators and workers as real child processes on loopback, each started through the CLI
 * exactly as an operator would (`tremor server run --coordinator --peers ...`, `tremor server run
 * --worker --coordinators ...`), with its own ports, data dir and log file. The end-to-end tests and benchmarks drive faults through it (kill -9, SIGSTOP and
 * SIGCONT, restart, a wiped disk); it is the seed of `npm run local`.
 *
 * Every process is started detached in its own process group and killed with it, so nothing is
 * left running when `stop()` returns, even after a failed test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

const REPO = path.resolve(__dirname, '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli', 'tremor.js');

export type NodeProcessState = 'running' | 'paused' | 'stopped';

export interface NodeProcess {
  readonly role: 'coordinator' | 'worker' | 'standalone';
  readonly name: string;
  readonly clusterPort: number;
  readonly apiPort: number;
  readonly address: string;
  readonly api: string;
  readonly dataDir: string;
  readonly logFile: string;
  extraArgs: string[];
  env: NodeJS.ProcessEnv;
  /** The working directory it runs in (relative paths in flows resolve there); default: ours. */
  cwd?: string;
  child: ChildProcess | null;
  state: NodeProcessState;
  exit: Promise<number | null> | null;
}

export type CoordinatorProcess = NodeProcess;
export type WorkerProcess = NodeProcess;

export interface ProcessClusterOptions {
  readonly clusterName?: string;
  readonly secret?: string;
  readonly vnodes?: number;
  /** Extra flags for every coordinator. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly logLevel?: string;
  /** The Redis every worker uses for event streams. */
  readonly redisUrl?: string;
  /** `--worker-timeout-ms` of every node. */
  readonly workerTimeoutMs?: number;
  /** Extra flags for every worker. */
  readonly workerArgs?: readonly string[];
}

export class ProcessCluster {
  readonly coordinators: CoordinatorProcess[] = [];
  readonly workers: WorkerProcess[] = [];
  /** Cluster-of-one nodes (`tremor server run` with no role flag), each a cluster of its own. */
  readonly standalones: NodeProcess[] = [];
  private root = '';
  private readonly logs: WriteStream[] = [];
  private readonly usedPorts = new Set<number>();

  constructor(private readonly opts: ProcessClusterOptions = {}) {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    }
  }

  get directory(): string {
    return this.root;
  }

  /** Allocates ports and data dirs for `n` coordinators that list each other as peers. */
  async define(n: number): Promise<CoordinatorProcess[]> {
    if (this.root === '') this.root = await mkdtemp(path.join(os.tmpdir(), 'tremor-cluster-'));
    const defined: CoordinatorProcess[] = [];
    for (let i = 0; i < n; i++) defined.push(await this.defineOne());
    return defined;
  }

  async defineOne(): Promise<CoordinatorProcess> {
    if (this.root === '') this.root = await mkdtemp(path.join(os.tmpdir(), 'tremor-cluster-'));
    const clusterPort = await this.uniquePort();
    const apiPort = await this.uniquePort();
    // Named only now, after the awaits, so that concurrent calls get distinct names.
    const name = `c${this.coordinators.length + 1}`;
    const c = this.node('coordinator', name, clusterPort, apiPort);
    this.coordinators.push(c);
    await mkdir(c.dataDir, { recursive: true });
    return c;
  }

  /** A node's record: its ports, data dir and log under the cluster's directory; not started. */
  private node(
    role: NodeProcess['role'],
    name: string,
    clusterPort: number,
    apiPort: number,
  ): NodeProcess {
    return {
      role,
      name,
      clusterPort,
      apiPort,
      address: role === 'coordinator' ? `127.0.0.1:${clusterPort}` : '',
      api: `http://127.0.0.1:${apiPort}`,
      dataDir: path.join(this.root, name),
      logFile: path.join(this.root, `${name}.log`),
      extraArgs: [],
      env: {},
      child: null,
      state: 'stopped',
      exit: null,
    };
  }

  /** Allocates the API port and data dir of one more worker (named w1, w2, ...). */
  async defineWorker(): Promise<WorkerProcess> {
    if (this.root === '') this.root = await mkdtemp(path.join(os.tmpdir(), 'tremor-cluster-'));
    const apiPort = await this.uniquePort();
    const name = `w${this.workers.length + 1}`;
    const w = this.node('worker', name, 0, apiPort);
    this.workers.push(w);
    await mkdir(w.dataDir, { recursive: true });
    return w;
  }

  /** Allocates the ports and data dir of a standalone node (named s1, s2, ...); not started. */
  async defineStandalone(): Promise<NodeProcess> {
    if (this.root === '') this.root = await mkdtemp(path.join(os.tmpdir(), 'tremor-cluster-'));
    const clusterPort = await this.uniquePort();
    const apiPort = await this.uniquePort();
    const name = `s${this.standalones.length + 1}`;
    const s = this.node('standalone', name, clusterPort, apiPort);
    this.standalones.push(s);
    await mkdir(s.dataDir, { recursive: true });
    return s;
  }

  /**
   * A free port none of this cluster's nodes was given: the OS may hand a just-closed probe port
   * out again, and two nodes on one port make one of them fail to start.
   */
  private async uniquePort(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
  }

  /** The flags a node is started with; a coordinator's `peers` default to every coordinator. */
  args(c: NodeProcess, peers?: readonly string[]): string[] {
    if (c.role === 'worker') return this.workerArgs(c);
    if (c.role === 'standalone') return this.standaloneArgs(c);
    const list = peers ?? this.coordinators.map((x) => x.address);
    return [
      'server',
      'run',
      '--coordinator',
      '--peers',
      list.join(','),
      '--host',
      '127.0.0.1',
      '--advertise-host',
      '127.0.0.1',
      '--cluster-port',
      String(c.clusterPort),
      '--api-port',
      String(c.apiPort),
      '--data-dir',
      c.dataDir,
      ...this.common(),
      ...(this.opts.args ?? []),
      ...c.extraArgs,
    ];
  }

  private workerArgs(w: WorkerProcess): string[] {
    return [
      'server',
      'run',
      '--worker',
      '--coordinators',
      this.coordinators.map((x) => x.address).join(','),
      '--host',
      '127.0.0.1',
      '--advertise-host',
      '127.0.0.1',
      '--api-port',
      String(w.apiPort),
      '--data-dir',
      w.dataDir,
      '--node-id',
      w.name,
      '--redis-url',
      this.opts.redisUrl ?? 'redis://127.0.0.1:6379',
      ...this.common(),
      ...(this.opts.workerArgs ?? []),
      ...w.extraArgs,
    ];
  }

  private standaloneArgs(s: NodeProcess): string[] {
    return [
      'server',
      'run',
      '--host',
      '127.0.0.1',
      '--advertise-host',
      '127.0.0.1',
      '--cluster-port',
      String(s.clusterPort),
      '--api-port',
      String(s.apiPort),
      '--data-dir',
      s.dataDir,
      ...this.common(),
      ...s.extraArgs,
    ];
  }

  /** Flags every node shares: the cluster's name, vnodes, secret, timeouts, log level. */
  private common(): string[] {
    return [
      '--cluster-name',
      this.opts.clusterName ?? 'e2e',
      '--no-of-vnodes',
      String(this.opts.vnodes ?? 16),
      '--log-level',
      this.opts.logLevel ?? 'info',
      ...(this.opts.secret === undefined ? [] : ['--cluster-secret', this.opts.secret]),
      ...(this.opts.workerTimeoutMs === undefined
        ? []
        : ['--worker-timeout-ms', String(this.opts.workerTimeoutMs)]),
    ];
  }

  start(c: CoordinatorProcess, peers?: readonly string[]): void {
    if (c.state !== 'stopped') throw new Error(`${c.name} is ${c.state}`);
    const log = createWriteStream(c.logFile, { flags: 'a' });
    this.logs.push(log);
    const child = spawn(process.execPath, [CLI, ...this.args(c, peers)], {
      detached: true,
      cwd: c.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.opts.env, ...c.env, FORCE_COLOR: '0' },
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    c.child = child;
    c.state = 'running';
    c.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        c.state = 'stopped';
        c.child = null;
        resolve(code ?? (signal ? 128 : null));
      });
    });
  }

  /** Sends `signal` to the process group and waits for the exit (SIGKILL after `graceMs`). */
  async kill(
    c: CoordinatorProcess,
    signal: NodeJS.Signals = 'SIGKILL',
    graceMs = 10_000,
  ): Promise<void> {
    const child = c.child;
    if (child?.pid === undefined) return;
    if (c.state === 'paused') this.signal(c, 'SIGCONT');
    this.signal(c, signal);
    const timer = setTimeout(() => this.signal(c, 'SIGKILL'), graceMs);
    await c.exit;
    clearTimeout(timer);
  }

  pause(c: CoordinatorProcess): void {
    this.signal(c, 'SIGSTOP');
    c.state = 'paused';
  }

  resume(c: CoordinatorProcess): void {
    this.signal(c, 'SIGCONT');
    c.state = 'running';
  }

  /** Loses the disk: the data dir is emptied (the node must be stopped). */
  async wipe(c: CoordinatorProcess): Promise<void> {
    if (c.state !== 'stopped')
      throw new Error(`${c.name} must be stopped before its disk is wiped`);
    await rm(c.dataDir, { recursive: true, force: true });
    await mkdir(c.dataDir, { recursive: true });
  }

  async log(c: CoordinatorProcess): Promise<string> {
    try {
      return await readFile(c.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The tail of every log, for a failing test's message. */
  async logTails(lines = 30): Promise<string> {
    const parts = await Promise.all(
      [...this.standalones, ...this.coordinators, ...this.workers].map(async (c) => {
        const text = (await this.log(c)).trimEnd().split('\n').slice(-lines).join('\n');
        return `--- ${c.name} (${c.address}, ${c.api}) ---\n${text}`;
      }),
    );
    return parts.join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.standalones, ...this.workers, ...this.coordinators].map((c) =>
        this.kill(c, 'SIGKILL'),
      ),
    );
    for (const l of this.logs) l.end();
    if (this.root !== '' && !process.env.E2E_KEEP_DIRS) {
      await rm(this.root, { recursive: true, force: true });
    }
  }

  private signal(c: CoordinatorProcess, signal: NodeJS.Signals): void {
    const pid = c.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }
}
