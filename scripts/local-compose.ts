/**
 * `npm run local:up | local:down | local:status`: drives local/docker-compose.yml through the
 * `docker-compose` package (which runs `docker compose`). Needs a Docker engine; without one,
 * `npm run local` runs the same cluster as child processes.
 *
 *   npm run local:up [-- --workers N]   build, start, wait until every service is healthy
 *   npm run local:status                the services, their state and published ports
 *   npm run local:down                  stop and remove containers, networks and volumes
 */
import path from 'node:path';
import * as compose from 'docker-compose';

const OPTIONS: compose.IDockerComposeOptions = {
  cwd: path.resolve(__dirname, '..', 'local'),
  config: 'docker-compose.yml',
  log: true,
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const workers = workersOf(rest);
      if (workers === null) return usage('--workers needs a whole number from 1 to 9');
      await compose.upAll({
        ...OPTIONS,
        commandOptions: ['--build', '--wait', '--scale', `worker=${workers}`],
      });
      process.stdout.write(
        [
          '',
          'cluster up. APIs (localhost only):',
          '  coordinators  http://127.0.0.1:9101  http://127.0.0.1:9102  http://127.0.0.1:9103',
          `  workers       http://127.0.0.1:9201 ... (${workers}, see npm run local:status)`,
          '  try: npm run tremor -- cluster status --api http://127.0.0.1:9101',
          '',
        ].join('\n'),
      );
      return 0;
    }
    case 'down':
      await compose.down({ ...OPTIONS, commandOptions: ['--volumes', '--remove-orphans'] });
      return 0;
    case 'status': {
      const ps = await compose.ps({ ...OPTIONS, log: false, commandOptions: ['--all'] });
      for (const s of ps.data.services) {
        const ports = s.ports
          .filter((p) => p.mapped !== undefined)
          .map((p) => `${p.mapped?.address}:${p.mapped?.port}->${p.exposed.port}`)
          .join(' ');
        process.stdout.write(`${s.name.padEnd(32)} ${s.state.padEnd(28)} ${ports}\n`);
      }
      if (ps.data.services.length === 0) process.stdout.write('no containers: npm run local:up\n');
      return 0;
    }
    default:
      return usage(`unknown command ${command ?? '(none)'}`);
  }
}

function workersOf(args: readonly string[]): number | null {
  const at = args.indexOf('--workers');
  if (at < 0) return 2;
  const n = Number(args[at + 1]);
  return Number.isInteger(n) && n >= 1 && n <= 9 ? n : null;
}

function usage(problem: string): number {
  process.stderr.write(
    `local-compose: ${problem}\nusage: npm run local:up [-- --workers N] | local:status | local:down\n`,
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // docker-compose rejects with { exitCode, out, err } when `docker compose` fails.
    const e = err as { err?: string; message?: string };
    const text = e.err ?? e.message ?? String(err);
    process.stderr.write(`local-compose: docker compose failed: ${text.trim()}\n`);
    if (
      /Cannot connect to the Docker daemon|unknown command|unknown shorthand flag|not found|ENOENT/i.test(
        text,
      )
    ) {
      process.stderr.write(
        'No Docker engine (or no compose plugin) here: `npm run local` runs the same cluster as child processes.\n',
      );
    }
    process.exit(1);
  },
);
