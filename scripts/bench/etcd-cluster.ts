/**
 * A 3-member etcd on loopback for the side-by-side benchmark: free ports, a temporary data dir
 * per member, default settings (fsync on, heartbeat 100 ms, election timeout 1000 ms), each
 * member a child process in its own process group with its log in a file, and nothing left
 * running once `stop()` returns or the script dies (see cleanup.ts).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../local/src/free-port';
import { trackDir, trackGroup, untrackDir, untrackGroup } from './cleanup';
import { httpJson, until } from './util';

export interface EtcdMember {
  readonly name: string;
  readonly client: string;
  readonly peerUrl: string;
  readonly dir: string;
  readonly logFile: string;
  child: ChildProcess | null;
  exit: Promise<void> | null;
}

export interface EtcdStatus {
  memberId: string;
  leader: string;
  revision: number;
  raftIndex: number;
  raftAppliedIndex: number;
}

function which(cmd: string): string {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

/** The etcd binary; Debian's etcd-server is installed with apt-get when it is missing. */
export function ensureEtcd(log: (line: string) => void): string {
  const found = which('etcd');
  if (found) return found;
  log('etcd is not on PATH: installing Debian etcd-server with apt-get');
  const install = (): void => {
    execFileSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    install();
  }
  const installed = which('etcd');
  if (!installed) throw new Error('etcd-server was installed but etcd is still not on PATH');
  return installed;
}

export function etcdVersion(bin: string): string {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout;
  return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? 'unknown';
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  /** `/v3` on etcd 3.4 and later; `/v3beta` on older gateways (found by `detectGateway`). */
  gateway = '/v3';
  private root = '';
  private readonly logs: WriteStream[] = [];

  constructor(
    private readonly bin: string,
    private readonly keep = false,
  ) {}

  get directory(): string {
    return this.root;
  }

  async define(n: number): Promise<EtcdMember[]> {
    this.root = await mkdtemp(path.join(os.tmpdir(), 'bench-etcd-'));
    if (!this.keep) trackDir(this.root);
    // freePort may hand out a port twice (it closes its probe socket): skip repeats.
    const used = new Set<number>();
    const port = async (): Promise<number> => {
      for (;;) {
        const p = await freePort();
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    for (let i = 1; i <= n; i++) {
      const name = `e${i}`;
      this.members.push({
        name,
        client: `http://127.0.0.1:${await port()}`,
        peerUrl: `http://127.0.0.1:${await port()}`,
        dir: path.join(this.root, name),
        logFile: path.join(this.root, `${name}.log`),
        child: null,
        exit: null,
      });
    }
    return this.members;
  }

  /** Starts a member; on an existing data dir it rejoins (the initial-cluster flags are ignored). */
  start(m: EtcdMember): void {
    if (m.child !== null) throw new Error(`${m.name} is running`);
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const log = createWriteStream(m.logFile, { flags: 'a' });
    this.logs.push(log);
    const child = spawn(
      this.bin,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dir}`,
        `--listen-client-urls=${m.client}`,
        `--advertise-client-urls=${m.client}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=bench',
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=info',
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const pid = child.pid;
    if (pid !== undefined) trackGroup(pid);
    m.child = child;
    m.exit = new Promise((resolve) =>
      child.once('exit', () => {
        if (pid !== undefined) untrackGroup(pid);
        m.child = null;
        resolve();
      }),
    );
  }

  /** SIGKILLs the member's process group and waits for the exit. */
  async kill(m: EtcdMember): Promise<void> {
    const pid = m.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await m.exit;
  }

  async status(m: EtcdMember, timeoutMs = 1000): Promise<EtcdStatus | null> {
    const s = await httpJson(
      `${m.client}${this.gateway}/maintenance/status`,
      'POST',
      {},
      timeoutMs,
    );
    const b = s.body as {
      leader?: string;
      raftIndex?: string;
      raftAppliedIndex?: string;
      header?: { member_id?: string; revision?: string };
    } | null;
    if (s.status !== 200 || !b?.header?.member_id) return null;
    return {
      memberId: b.header.member_id,
      leader: b.leader ?? '0',
      revision: Number(b.header.revision ?? 0),
      raftIndex: Number(b.raftIndex ?? 0),
      raftAppliedIndex: Number(b.raftAppliedIndex ?? b.raftIndex ?? 0),
    };
  }

  async healthy(m: EtcdMember): Promise<boolean> {
    const h = await httpJson(`${m.client}/health`, 'GET');
    return h.status === 200 && (h.body as { health?: unknown } | null)?.health === 'true';
  }

  /** The running member that says it leads (its `leader` is its own member id). */
  async leader(timeoutMs = 30_000): Promise<EtcdMember> {
    return until('an etcd leader', timeoutMs, async () => {
      for (const m of this.members.filter((x) => x.child !== null)) {
        const s = await this.status(m);
        if (s !== null && s.leader !== '0' && s.leader === s.memberId) return m;
      }
      return null;
    });
  }

  /** One put through the gateway; the revision it was written at, or null when refused. */
  async put(m: EtcdMember, key: string, value: string, timeoutMs: number): Promise<number | null> {
    const r = await httpJson(
      `${m.client}${this.gateway}/kv/put`,
      'POST',
      { key: b64(key), value: b64(value) },
      timeoutMs,
    );
    if (r.status !== 200) return null;
    const b = r.body as { header?: { revision?: string }; error?: unknown } | null;
    if (b?.error !== undefined || b?.header?.revision === undefined) return null;
    return Number(b.header.revision);
  }

  /**
   * Which gateway prefix answers puts: `/v3` (etcd 3.4), or `/v3beta` when `/v3` is not there at
   * all (404); any other refusal (no leader yet) is waited out.
   */
  async detectGateway(m: EtcdMember, timeoutMs = 30_000): Promise<string> {
    const probe = (prefix: string): Promise<number> =>
      httpJson(
        `${m.client}${prefix}/kv/put`,
        'POST',
        { key: b64('gateway-probe'), value: b64('1') },
        2000,
      ).then((r) => r.status);
    this.gateway = await until(
      `a put through the gateway of ${m.client}`,
      timeoutMs,
      async () => {
        const v3 = await probe('/v3');
        if (v3 === 200) return '/v3';
        if (v3 === 404 && (await probe('/v3beta')) === 200) return '/v3beta';
        return null;
      },
      100,
    );
    return this.gateway;
  }

  async log(m: EtcdMember): Promise<string> {
    try {
      return await readFile(m.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
    for (const l of this.logs) l.end();
    if (this.root !== '' && !this.keep) {
      await rm(this.root, { recursive: true, force: true });
      untrackDir(this.root);
    }
  }
}
