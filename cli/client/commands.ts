/**
 * The commands that talk to a running cluster through its API (CONTRACT §2): `tremor cluster
 * status` and `tremor flow ...`, added to the root program next to `server`. Every one takes
 * `--api` and `--api-token` itself (rather than the root taking them), so its own `--help` lists
 * them and `server run` does not silently accept them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './api-client';
import { DEFAULT_API, resolveApiTarget, type TargetFlags } from './api-target';
import { clusterStatus } from './cluster-status';
import type { ClientContext, Clock, TextOutput } from './context';
import { UsageError } from './errors';
import { applyFlow, deleteFlow, getFlow, listFlows, pauseFlow, resumeFlow } from './flow-commands';
import { reportOf } from './report';

export interface ClientDeps {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  readonly env: NodeJS.ProcessEnv;
  readonly readFile: (path: string) => string;
  readonly exit: (code: number) => void;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

export const DEFAULT_WAIT_TIMEOUT_S = 60;

interface JsonFlag {
  readonly json?: boolean;
}

export function addClientCommands(program: Command, deps: ClientDeps): void {
  const cluster = program
    .command('cluster')
    .description('look at a running cluster')
    .showHelpAfterError("(run 'tremor cluster --help' for the commands)");
  clientCommand(cluster, 'status', 'coordinators, workers, vnode distribution and flows')
    .addOption(jsonOption())
    .action(
      run(deps, (ctx, options: JsonFlag) => clusterStatus(ctx, { json: options.json === true })),
    );

  const flow = program
    .command('flow')
    .description('apply and manage the flows of a running cluster')
    .showHelpAfterError("(run 'tremor flow --help' for the commands)");
  clientCommand(flow, 'apply', 'create or replace the flow in FILE (JSON or YAML)')
    .argument('<FILE>', 'the flow: .json, .yaml or .yml (anything else: JSON, else YAML)')
    .option('--wait', 'return once every live worker runs the flow, showing progress')
    .addOption(
      new Option(
        '--timeout <SECONDS>',
        `with --wait: give up after this long (default: ${DEFAULT_WAIT_TIMEOUT_S})`,
      ).argParser(positiveSeconds),
    )
    .action(
      run(deps, (ctx, options: { wait?: boolean; timeout?: number }, file: string) => {
        if (options.timeout !== undefined && options.wait !== true) {
          throw new UsageError('--timeout is only valid with --wait');
        }
        const waitMs =
          options.wait === true ? (options.timeout ?? DEFAULT_WAIT_TIMEOUT_S) * 1000 : undefined;
        return applyFlow(ctx, file, { readFile: deps.readFile, waitMs });
      }),
    );
  clientCommand(flow, 'list', 'every flow, its status and how many workers run it')
    .addOption(jsonOption())
    .action(run(deps, (ctx, options: JsonFlag) => listFlows(ctx, { json: options.json === true })));
  clientCommand(flow, 'get', 'print the flow (with --json: also its status and deployment)')
    .argument('<ID>', 'the flow id')
    .addOption(jsonOption())
    .action(
      run(deps, (ctx, options: JsonFlag, id: string) =>
        getFlow(ctx, id, { json: options.json === true }),
      ),
    );
  clientCommand(flow, 'delete', 'delete the flow')
    .argument('<ID>', 'the flow id')
    .action(run(deps, (ctx, _options, id: string) => deleteFlow(ctx, id)));
  clientCommand(flow, 'pause', 'stop consuming; events keep being accepted and wait durably')
    .argument('<ID>', 'the flow id')
    .action(run(deps, (ctx, _options, id: string) => pauseFlow(ctx, id)));
  clientCommand(flow, 'resume', 'consume again, the waiting events first')
    .argument('<ID>', 'the flow id')
    .action(run(deps, (ctx, _options, id: string) => resumeFlow(ctx, id)));
}

function clientCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .showHelpAfterError(
      `(run 'tremor ${parent.name()} ${name} --help' for its arguments and flags)`,
    )
    .option(
      '--api <URL>',
      `the API of any node of the cluster (default: ${DEFAULT_API}; env: TREMOR_API)`,
    )
    .option('--api-token <T>', "the API's bearer token, if it has one (env: TREMOR_API_TOKEN)")
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 failure at run time, 2 usage or configuration error.',
    );
}

function jsonOption(): Option {
  return new Option('--json', 'print JSON instead of text');
}

function positiveSeconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('expected a number of seconds above 0.');
  }
  return value;
}

/**
 * The action of a client command: resolve the API, run `body`, report what failed, and exit with
 * its status. commander passes the positional arguments first, then the options, then itself.
 */
function run<O>(
  deps: ClientDeps,
  body: (ctx: ClientContext, options: O, ...args: string[]) => Promise<number>,
): (...actionArgs: unknown[]) => Promise<void> {
  return async (...actionArgs: unknown[]) => {
    const command = actionArgs[actionArgs.length - 1] as Command;
    const options = command.opts<O & TargetFlags>();
    const args = actionArgs.slice(0, -2) as string[];
    let code: number;
    try {
      const target = resolveApiTarget(options, deps.env);
      const api = new ApiClient({ ...target, fetch: deps.fetch });
      code = await body({ api, stdout: deps.stdout, clock: deps.clock }, options, ...args);
    } catch (err) {
      const report = reportOf(err);
      deps.stderr.write(report.text);
      code = report.exitCode;
    }
    deps.exit(code);
  };
}
