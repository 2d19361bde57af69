import { buildProgram, SERVER_RUN_HINT } from '../program';
import type { ServerConfig } from '../server-config';
import { SERVER_FLAGS } from '../server-flags';

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exits: readonly number[];
  readonly started: ReadonlyArray<{ config: ServerConfig; warnings: readonly string[] }>;
}

interface Options {
  readonly env?: Record<string, string>;
  readonly files?: Record<string, string>;
  readonly runServer?: (config: ServerConfig, warnings: readonly string[]) => Promise<number>;
}

/** Runs `tremor ARGS` with fake io and returns what it wrote and the exit status it asked for. */
async function tremor(args: readonly string[], options: Options = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const exits: number[] = [];
  const started: Array<{ config: ServerConfig; warnings: readonly string[] }> = [];
  const program = buildProgram({
    version: '9.8.7',
    runServer:
      options.runServer ??
      ((config, warnings) => {
        started.push({ config, warnings });
        return Promise.resolve(0);
      }),
    io: {
      stdout: { write: (s: string) => (stdout += s), columns: 120 },
      stderr: { write: (s: string) => (stderr += s) },
      env: options.env ?? {},
      readFile: (p) => {
        const text = options.files?.[p];
        if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
        return text;
      },
      hostname: () => 'host-1',
      exit: (code) => void exits.push(code),
    },
  });
  await program.parseAsync(['node', 'tremor', ...args]);
  return { stdout, stderr, exits, started };
}

const serverRun = (...flags: string[]): Promise<Run> => tremor(['server', 'run', ...flags]);

describe('tremor server run', () => {
  it('starts standalone with the defaults and exits with what runServer returns', async () => {
    const run = await tremor(['server', 'run'], { runServer: () => Promise.resolve(0) });
    expect(run.exits).toEqual([0]);
    expect(run.stderr).toBe('');
    const started = await serverRun();
    expect(started.started).toHaveLength(1);
    expect(started.started[0]?.config.role).toBe('standalone');
    expect(started.started[0]?.config.nodeId).toBe('host-1:8139');
    expect(
      (await tremor(['server', 'run'], { runServer: () => Promise.resolve(1) })).exits,
    ).toEqual([1]);
  });

  it('passes warnings to runServer', async () => {
    const run = await serverRun('--coordinator', '--peers', 'a,b');
    expect(run.exits).toEqual([0]);
    expect(run.started[0]?.warnings).toEqual([expect.stringMatching(/^no --cluster-secret set: /)]);
    expect(run.started[0]?.config.peers).toEqual(['a:8139', 'b:8139']);
  });

  it('exits 1 with the message when runServer throws', async () => {
    const run = await tremor(['server', 'run'], {
      runServer: () => Promise.reject(new Error('disk on fire')),
    });
    expect(run.exits).toEqual([1]);
    expect(run.stderr).toBe('tremor: disk on fire\n');
  });

  it('takes only the flags given on the command line, and the environment and file under them', async () => {
    const run = await tremor(['server', 'run', '--api-port', '1', '--config', '/c.yaml'], {
      env: { TREMOR_API_PORT: '2', TREMOR_CLUSTER_PORT: '3' },
      files: { '/c.yaml': 'api-port: 4\ncluster-port: 5\nno-of-vnodes: 6\n' },
    });
    expect(run.exits).toEqual([0]);
    expect(run.started[0]?.config).toMatchObject({ apiPort: 1, clusterPort: 3, vnodes: 6 });
    expect(run.started[0]?.config.sources).toMatchObject({
      apiPort: 'flag',
      clusterPort: 'env',
      vnodes: 'file',
      logLevel: 'default',
    });
  });

  describe('--no-of-vnodes is a number, not the negation of --of-vnodes', () => {
    it.each([
      [['--no-of-vnodes', '32']],
      [['--no-of-vnodes=32']],
      [['--worker', '--coordinators', 'c', '--no-of-vnodes', '32']],
    ])('%j', async (flags) => {
      const run = await serverRun(...flags);
      expect(run.exits).toEqual([0]);
      expect(run.started[0]?.config.vnodes).toBe(32);
      expect(run.started[0]?.config.sources.vnodes).toBe('flag');
    });

    it('stays at its default (64, not "true") when not given', async () => {
      const run = await serverRun();
      expect(run.started[0]?.config.vnodes).toBe(64);
      expect(run.started[0]?.config.sources.vnodes).toBe('default');
    });

    it('needs its value', async () => {
      const run = await serverRun('--no-of-vnodes');
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain("tremor: error: option '--no-of-vnodes <N>' argument missing");
    });

    it('is checked', async () => {
      const run = await serverRun('--no-of-vnodes', '0');
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain(
        'tremor: error: --no-of-vnodes: expected an integer in 1..65536',
      );
    });
  });

  describe('usage errors exit 2, name the flag and point to --help', () => {
    it.each([
      [['--coordinator'], '--peers is required with --coordinator'],
      [['--worker'], '--coordinators is required with --worker'],
      [['--peers', 'a'], '--peers is only valid with --coordinator'],
      [['--coordinators', 'a'], '--coordinators is only valid with --worker'],
      [
        ['--coordinator', '--worker', '--peers', 'a', '--coordinators', 'b'],
        '--coordinator and --worker cannot be combined',
      ],
      [['--cluster-port', '70000'], '--cluster-port: expected a port number'],
      [['--api-port', '-1'], '--api-port: expected a port number'],
      [
        ['--coordinator', '--peers', 'a', '--cluster-port', '0'],
        '--cluster-port 0 (any free port)',
      ],
      [['--coordinator', '--peers', 'a:0'], '--peers: "a:0" is not host[:port]'],
      [['--coordinator', '--peers', '--cluster-port'], '--peers: "--cluster-port"'],
      [['--snapshot-store', 's3'], '--snapshot-store: expected one of file, dynamodb'],
      [['--log-level', 'loud'], '--log-level: expected one of fatal, error'],
      [['--worker-timeout-ms', '0'], '--worker-timeout-ms: expected an integer in 1..'],
      [['--redis-url', 'http://r'], '--redis-url: expected a redis:// or rediss:// URL'],
      [['--config', '/missing.yaml'], '/missing.yaml: cannot read the config file'],
    ])('%j', async (flags, message) => {
      const run = await serverRun(...flags);
      expect(run.exits).toEqual([2]);
      expect(run.started).toEqual([]);
      // One line naming the problem, then the hint.
      expect(run.stderr.split('\n')).toEqual([
        expect.stringMatching(/^tremor: error: /),
        SERVER_RUN_HINT,
        '',
      ]);
      expect(run.stderr.startsWith(`tremor: error: ${message}`)).toBe(true);
    });

    it('from the environment, naming the variable and the flag', async () => {
      const run = await tremor(['server', 'run'], { env: { TREMOR_CLUSTER_PORT: '12abc' } });
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain(
        'tremor: error: TREMOR_CLUSTER_PORT (--cluster-port): expected a port number (0..65535, 0 means any free port), got "12abc"',
      );
    });

    it('from the config file, naming the file and key', async () => {
      const run = await tremor(['server', 'run', '--config', 'tremor.yaml'], {
        files: { 'tremor.yaml': 'peers: [a]\nclusterport: 1\n' },
      });
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain('tremor: error: tremor.yaml:2: unknown key "clusterport"');
    });

    it.each([
      [['server', 'run', '--bogus'], "tremor: error: unknown option '--bogus'", SERVER_RUN_HINT],
      [
        ['server', 'run', '--peer', 'a'],
        "tremor: error: unknown option '--peer'\n(Did you mean --peers?)",
        SERVER_RUN_HINT,
      ],
      [
        ['server', 'run', '--cluster-port'],
        "tremor: error: option '--cluster-port <N>' argument missing",
        SERVER_RUN_HINT,
      ],
      [['server', 'run', 'extra'], "tremor: error: too many arguments for 'run'", SERVER_RUN_HINT],
      [
        ['serve'],
        "tremor: error: unknown command 'serve'",
        "(run 'tremor --help' for the commands)",
      ],
      [
        ['--nope'],
        "tremor: error: unknown option '--nope'",
        "(run 'tremor --help' for the commands)",
      ],
    ])("commander's own: %j", async (args, start, hint) => {
      const run = await tremor(args);
      expect(run.exits).toEqual([2]);
      expect(run.started).toEqual([]);
      expect(run.stderr.startsWith(start)).toBe(true);
      expect(run.stderr.trimEnd().endsWith(hint)).toBe(true);
    });

    it('a missing subcommand shows the help on stderr and exits 2', async () => {
      const run = await tremor(['server']);
      expect(run.exits).toEqual([2]);
      expect(run.stderr).toContain('Usage: tremor server');
    });
  });

  describe('--help and --version', () => {
    it('the help lists every flag of the table, its value, default and variable', async () => {
      const run = await serverRun('--help');
      expect(run.exits).toEqual([0]);
      expect(run.started).toEqual([]);
      const help = run.stdout.replace(/\s+/g, ' ');
      for (const spec of SERVER_FLAGS) {
        const term = 'valueName' in spec ? `${spec.flag} <${spec.valueName}>` : spec.flag;
        expect(help).toContain(` ${term} `);
        expect(help).toContain(`env: ${spec.env})`);
      }
      expect(help).toContain('Precedence: flag > environment > file > default.');
    });

    it('the help offers no option that the table lacks', async () => {
      const run = await serverRun('--help');
      const offered = [...run.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
      expect(offered.sort()).toEqual([...SERVER_FLAGS.map((s) => s.flag), '--help'].sort());
    });

    it('--version prints the version and exits 0', async () => {
      const run = await tremor(['--version']);
      expect(run.stdout).toBe('9.8.7\n');
      expect(run.exits).toEqual([0]);
    });

    it('without an injected version it reads package.json', async () => {
      let out = '';
      const exits: number[] = [];
      const program = buildProgram({
        runServer: () => Promise.resolve(0),
        io: {
          stdout: { write: (s: string) => (out += s) },
          stderr: { write: () => true },
          env: {},
          readFile: () => '',
          hostname: () => 'h',
          exit: (code) => void exits.push(code),
        },
      });
      await program.parseAsync(['--version'], { from: 'user' });
      expect(out).toMatch(/^\d+\.\d+\.\d+/);
      expect(out.trim()).not.toBe('0.0.0');
      expect(exits).toEqual([0]);
    });
  });
});
