/**
 * The `tremor` command line: commander wiring over the flag table (server-flags.ts) and the
 * resolver (server-config.ts). Starting the servers is injected (`runServer`), and so is every
 * touch of the process (`io`), so tests drive the whole command line with fakes.
 *
 * The client commands (`cluster`, `flow`: client/commands.ts) talk to a running cluster through
 * the injected `fetch`, and wait on the injected clock.
 *
 * Exit statuses (CONTRACT §2): 2 for every usage or configuration error, commander's own included
 * (unknown option, missing argument: commander would say 1); 0 after `--help` and `--version`;
 * otherwise what `runServer` (or the client command) returns, or 1 if it throws.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option, type ParseOptions } from 'commander';
import { addClientCommands } from './client/commands';
import { systemClock, type Clock } from './client/context';
import { resolveServerConfig, type ServerConfig } from './server-config';
import { SERVER_FLAGS, describeDefault, type FlagSpec } from './server-flags';

export interface ProgramOutput {
  write(text: string): unknown;
  readonly columns?: number;
  /** A terminal: the client commands may redraw a progress line in place. */
  readonly isTTY?: boolean;
}

export interface ProgramIo {
  readonly stdout: ProgramOutput;
  readonly stderr: ProgramOutput;
  readonly env: NodeJS.ProcessEnv;
  /** Reads a file as UTF-8 (the `--config` file); throws if it cannot. */
  readonly readFile: (path: string) => string;
  readonly hostname: () => string;
  /** Ends the process with this status (a fake in tests may return). */
  readonly exit: (code: number) => void;
}

export interface ProgramDeps {
  /** Runs the servers of the resolved configuration until they stop; resolves to the exit status. */
  readonly runServer: (config: ServerConfig, warnings: readonly string[]) => Promise<number>;
  readonly io: ProgramIo;
  /** Defaults to the version in the project's package.json. */
  readonly version?: string;
  /** How the client commands reach the API; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** What `flow apply --wait` polls and times out by; defaults to the system clock. */
  readonly clock?: Clock;
}

export const EXIT_USAGE = 2;
export const SERVER_RUN_HINT = "(run 'tremor server run --help' to see the flags)";

/**
 * The root command. Parse with `parseAsync` (the action is asynchronous): it resolves once the
 * command has finished and `io.exit` has been called with its status, usage errors included.
 */
export function buildProgram(deps: ProgramDeps): Command {
  const { io } = deps;
  const program = new TremorProgram(io.exit);
  // Settings made here are inherited by the subcommands created below with .command().
  program
    .name('tremor')
    .description('A clustered stream processor: coordinators, workers, vnodes.')
    .version(deps.version ?? packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(`tremor: ${text}`),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .showHelpAfterError("(run 'tremor --help' for the commands)");

  const server = program
    .command('server')
    .description('run a node of a cluster')
    .showHelpAfterError("(run 'tremor server --help' for the commands)");

  const run = server
    .command('run')
    .description(
      'Run a node: standalone (no role flag), a coordinator (--coordinator --peers LIST) or a worker (--worker --coordinators LIST).',
    )
    .showHelpAfterError(SERVER_RUN_HINT)
    .addHelpText(
      'after',
      [
        '',
        'Every flag can also be set in the environment (TREMOR_ + the flag in upper snake case,',
        'e.g. TREMOR_CLUSTER_PORT=8139) and in the --config YAML file (the flag without its dashes,',
        'e.g. "cluster-port: 8139"). Precedence: flag > environment > file > default.',
        'Exit status: 0 success, 1 failure at run time, 2 usage or configuration error.',
      ].join('\n'),
    );
  for (const spec of SERVER_FLAGS) run.addOption(optionOf(spec));

  run.action(async (_options: unknown, command: Command) => {
    const flags: Record<string, string | boolean> = {};
    for (const spec of SERVER_FLAGS) {
      if (command.getOptionValueSource(spec.key) !== 'cli') continue;
      flags[spec.key] = command.getOptionValue(spec.key) as string | boolean;
    }
    const resolved = resolveServerConfig({
      flags,
      env: io.env,
      readFile: io.readFile,
      hostname: io.hostname,
    });
    if (!resolved.ok) {
      io.stderr.write(`tremor: error: ${resolved.error.message}\n${SERVER_RUN_HINT}\n`);
      io.exit(EXIT_USAGE);
      return;
    }
    let code: number;
    try {
      code = await deps.runServer(resolved.config, resolved.warnings);
    } catch (err) {
      io.stderr.write(`tremor: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 1;
    }
    io.exit(code);
  });

  addClientCommands(program, {
    ...io,
    // Looked up at each call, not captured: the global may be replaced after the program is built.
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    clock: deps.clock ?? systemClock,
  });
  return program;
}

function optionOf(spec: FlagSpec): Option {
  const term = spec.valueName === undefined ? spec.flag : `${spec.flag} <${spec.valueName}>`;
  const option = new Option(
    term,
    `${spec.description} (default: ${describeDefault(spec)}; env: ${spec.env})`,
  );
  // commander reads a flag spelled `--no-X` as the negation of `--X`; `--no-of-vnodes N` is a
  // number of its own (CONTRACT §2), stored under `noOfVnodes`.
  option.negate = false;
  if (option.attributeName() !== spec.key) {
    throw new Error(
      `flag table: ${spec.flag} has key ${spec.key}, commander says ${option.attributeName()}`,
    );
  }
  return option;
}

/**
 * commander reports its errors by throwing (exitOverride); this root turns them into an exit
 * status through the injected `exit`, so parsing never rejects for a usage error.
 */
class TremorProgram extends Command {
  constructor(private readonly exitWith: (code: number) => void) {
    super();
  }

  override async parseAsync(argv?: readonly string[], options?: ParseOptions): Promise<this> {
    try {
      return await super.parseAsync(argv, options);
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      // Help and version exit 0; everything else commander reports is a usage error.
      this.exitWith(err.exitCode === 0 ? 0 : EXIT_USAGE);
      return this;
    }
  }
}

/** The version in the project's package.json, found by walking up from this file. */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'tremor-cluster' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here; look further up.
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}
