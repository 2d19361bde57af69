/**
 * `npm run local [-- --workers N]`: the whole cluster on this machine without Docker (see
 * local/src/local-cluster.ts). Prints the API endpoints, keeps a status line, takes fault
 * commands on stdin (`kill w1`, `pause c2`, `resume c2`, `restart w1`, `stop w2`, `status`,
 * `help`), and stops everything on Ctrl-C (or SIGTERM, or `quit`), leaving nothing running.
 */
import readline from 'node:readline';
import { LocalCluster, type FaultAction } from '../local/src/local-cluster';

interface Options {
  readonly workers: number;
  readonly vnodes: number;
  readonly logLevel: string;
}

interface ClusterView {
  readonly leader: string | null;
  readonly term: number;
  readonly vnodes: number;
  readonly coordinators: { id: string; reachable: boolean }[];
  readonly workers: { id: string; state: string; vnodes: number[] }[];
}

const USAGE = 'usage: npm run local [-- --workers N] [--vnodes N] [--log-level L]';
const ACTIONS: readonly FaultAction[] = ['kill', 'pause', 'resume', 'restart', 'stop'];
const HELP = [
  'commands:',
  '  kill NAME      kill -9 a node (c1, c2, c3, w1, ...)',
  '  stop NAME      SIGTERM: a graceful stop (a worker hands its vnodes off)',
  '  pause NAME     SIGSTOP (a frozen process)',
  '  resume NAME    SIGCONT',
  '  restart NAME   kill -9, then start it again with its data dir',
  '  status         every node, its state and pid',
  '  quit           stop everything (as Ctrl-C does)',
].join('\n');

function parseOptions(argv: readonly string[]): Options | string {
  let workers = 2;
  let vnodes = 64;
  let logLevel = 'info';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') return USAGE;
    if (value === undefined) return `${flag} needs a value\n${USAGE}`;
    i++;
    if (flag === '--workers' || flag === '--vnodes') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (flag === '--workers' ? 0 : 1) || n > 65536) {
        return `${flag} must be a whole number, got ${value}\n${USAGE}`;
      }
      if (flag === '--workers') workers = n;
      else vnodes = n;
    } else if (flag === '--log-level') {
      logLevel = value;
    } else {
      return `unknown option ${flag}\n${USAGE}`;
    }
  }
  return { workers, vnodes, logLevel };
}

async function clusterView(api: string): Promise<ClusterView | null> {
  try {
    const res = await fetch(`${api}/v1/cluster`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as ClusterView) : null;
  } catch {
    return null;
  }
}

/** The first coordinator that answers, and what it says. */
async function anyView(cluster: LocalCluster): Promise<ClusterView | null> {
  for (const n of cluster.nodes()) {
    if (n.role !== 'coordinator' || n.state !== 'running') continue;
    const view = await clusterView(n.api);
    if (view !== null) return view;
  }
  return null;
}

function summary(cluster: LocalCluster, view: ClusterView | null): string {
  if (view === null) return 'no coordinator answers';
  const leader = cluster.nodes().find((n) => n.address !== '' && n.address === view.leader);
  const alive = view.workers.filter((w) => w.state === 'alive').length;
  const assigned = view.workers.reduce((sum, w) => sum + w.vnodes.length, 0);
  const reachable = view.coordinators.filter((c) => c.reachable).length;
  return [
    `leader ${leader?.name ?? view.leader ?? 'none'} (term ${view.term})`,
    `coordinators ${reachable}/${view.coordinators.length} reachable`,
    `workers ${alive}/${view.workers.length} alive`,
    `vnodes ${assigned}/${view.vnodes} assigned`,
  ].join(' · ');
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    return parsed === USAGE ? 0 : 2;
  }
  const out = process.stdout;
  const cluster = new LocalCluster({
    workers: parsed.workers,
    vnodes: parsed.vnodes,
    logLevel: parsed.logLevel,
    onProgress: (step) => out.write(`local: ${step}\n`),
  });

  let stopping: Promise<number> | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  const stop = (why: string): Promise<number> => {
    stopping ??= (async () => {
      if (statusTimer !== null) clearInterval(statusTimer);
      out.write(`\nlocal: ${why}: stopping every process\n`);
      await cluster.stop();
      out.write('local: stopped; nothing left running\n');
      return 0;
    })();
    return stopping;
  };
  const stopped = new Promise<number>((resolve) => {
    process.once('SIGINT', () => void stop('SIGINT').then(resolve));
    process.once('SIGTERM', () => void stop('SIGTERM').then(resolve));
  });

  try {
    await cluster.start();
  } catch (err) {
    process.stderr.write(`local: could not start: ${(err as Error).message}\n`);
    await cluster.stop();
    return 1;
  }

  out.write('local: waiting for a leader and the workers to join\n');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (stopping !== null) return stopping;
    const view = await anyView(cluster);
    const alive = view?.workers.filter((w) => w.state === 'alive').length ?? 0;
    if (view?.leader && alive === parsed.workers) break;
    if (Date.now() > deadline) {
      process.stderr.write(
        `local: the cluster did not form within 60 s (${summary(cluster, view)}); logs in ${cluster.directory}\n`,
      );
      await cluster.stop();
      return 1;
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  const nodes = cluster.nodes();
  out.write(
    [
      '',
      'local: cluster ready',
      ...nodes.map((n) => `  ${n.name.padEnd(4)} ${n.role.padEnd(12)} ${n.api}`),
      `  redis        ${cluster.redisUrl}`,
      `  dynamodb     ${cluster.dynamodbEndpoint}`,
      `  data & logs  ${cluster.directory}`,
      '',
      `try: npm run tremor -- cluster status --api ${nodes[0]?.api ?? ''}`,
      "type 'help' for fault commands; Ctrl-C stops everything",
      '',
    ].join('\n'),
  );

  // The status line: rewritten in place on a terminal, a new line on each change otherwise.
  let last = '';
  const refresh = async (): Promise<void> => {
    if (stopping !== null) return;
    const line = summary(cluster, await anyView(cluster));
    if (out.isTTY) out.write(`\r\x1b[K${line}`);
    else if (line !== last) out.write(`status: ${line}\n`);
    last = line;
  };
  statusTimer = setInterval(() => void refresh(), 1_000);
  await refresh();

  const input = readline.createInterface({ input: process.stdin, terminal: false });
  input.on('line', (raw) => {
    const [command, name] = raw.trim().split(/\s+/);
    if (command === undefined || command === '') return;
    const reply = (text: string): void => void out.write(`${out.isTTY ? '\n' : ''}${text}\n`);
    if (command === 'quit' || command === 'exit') {
      void stop('quit');
      return;
    }
    if (command === 'help') return reply(HELP);
    if (command === 'status') {
      return reply(
        cluster
          .nodes()
          .map(
            (n) =>
              `${n.name.padEnd(4)} ${n.role.padEnd(12)} ${n.state.padEnd(8)} pid ${n.pid ?? '-'}  ${n.api}`,
          )
          .join('\n'),
      );
    }
    if (!(ACTIONS as readonly string[]).includes(command) || name === undefined) {
      return reply(`unknown command: ${raw.trim()} (type 'help')`);
    }
    cluster.act(command as FaultAction, name).then(
      () => reply(`local: ${command} ${name}: done`),
      (err: unknown) => reply(`local: ${command} ${name}: ${(err as Error).message}`),
    );
  });
  // stdin closed (e.g. `npm run local < /dev/null`): keep running until a signal.
  const code = await stopped;
  input.close();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`local: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
