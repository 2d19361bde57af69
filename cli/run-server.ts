/**
 * `tremor server run`: starts the services of the configured role and keeps them until a signal.
 * SIGTERM or SIGINT stops gracefully (API closed, Raft host stopped after its write in progress,
 * cluster port closed, data dir unlocked); a second signal exits at once.
 *
 * Exit statuses: 0 after a graceful stop, 1 on a failure at run time (a disk write failed, the
 * data dir is locked by another process), 2 on a configuration error found only at start (the
 * data dir belongs to another cluster).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { packageVersion } from './program';
import type { ServerConfig } from './server-config';
import { runCoordinator } from '../control-plane/src/coordinator/run-coordinator';
import { runStandalone } from '../worker/src/runtime/run-standalone';
import { runWorker, type RunningWorker } from '../worker/src/runtime/run-worker';
import { JoinRefusedError } from '../worker/src/runtime/worker-node';

export interface ServerIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly process: Pick<NodeJS.Process, 'on' | 'off' | 'exit'>;
}

export function makeLogger(level: string, out: ServerIo['stdout']): Logger {
  // JSON lines for machines; a readable rendering when a person watches a terminal.
  const stream = out.isTTY ? pretty({ colorize: true, destination: out }) : out;
  return pino({ level, base: { pid: process.pid } }, stream);
}

export async function runServer(
  config: ServerConfig,
  warnings: readonly string[],
  io: ServerIo = { stdout: process.stdout, process },
): Promise<number> {
  const logger = makeLogger(config.logLevel, io.stdout);
  for (const w of warnings) logger.warn(w);
  if (config.role === 'worker') return runWorkerRole(config, logger, io);
  let fatal: ((code: number) => void) | null = null;
  const failed = new Promise<number>((resolve) => (fatal = resolve));
  const onFatal = (err: unknown): void => {
    logger.fatal({ err }, 'the Raft host failed; exiting so the node restarts from its disk');
    fatal?.(1);
  };
  const base = {
    nodeId: config.nodeId ?? `${config.advertiseHost}:${config.clusterPort}`,
    host: config.host,
    advertiseHost: config.advertiseHost,
    clusterPort: config.clusterPort,
    apiPort: config.apiPort,
    dataDir: config.dataDir,
    clusterName: config.clusterName,
    vnodes: config.vnodes,
    clusterSecret: config.clusterSecret,
    apiToken: config.apiToken,
    apiBodyLimit: config.apiBodyLimit,
    snapshotStore: config.snapshotStore,
    dynamodbTable: config.dynamodbTable,
    dynamodbCreateTable: config.dynamodbCreateTable,
    snapshotEvery: config.snapshotEvery,
    workerTimeoutMs: config.workerTimeoutMs,
    version: packageVersion(),
  };
  let running: { readonly started: Promise<void>; stop(): Promise<void> };
  try {
    running =
      config.role === 'standalone'
        ? await runStandalone({ ...base, redisUrl: config.redisUrl }, logger, onFatal)
        : await runCoordinator({ ...base, peers: config.peers }, logger, onFatal);
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    return 1;
  }
  if (config.role === 'standalone') {
    void running.started.then(
      () =>
        logger.info(
          { events: config.redisUrl ?? 'in process memory' },
          'standalone: coordinator and worker ready',
        ),
      () => {},
    );
  }
  const startFailure = running.started.then(
    () => new Promise<number>(() => {}),
    (err: unknown) => {
      const configError = err instanceof Error && /belongs to cluster/.test(err.message);
      logger.fatal({ err }, 'could not start');
      return configError ? 2 : 1;
    },
  );
  const stopped = untilSignal(logger, io);
  const code = await Promise.race([stopped, failed, startFailure]);
  await running.stop().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
  logger.info({ code }, 'stopped');
  return code;
}

/** Resolves 0 on the first SIGTERM or SIGINT; a second one, a second or more later, exits. */
function untilSignal(logger: Logger, io: ServerIo): Promise<number> {
  let firstSignalAt: number | null = null;
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      // `npm run` passes a terminal's Ctrl-C on while the terminal sends it too: a repeat within
      // a second is the same request, not an operator insisting.
      if (firstSignalAt !== null && Date.now() - firstSignalAt < 1000) return;
      if (firstSignalAt !== null) {
        logger.warn({ signal }, 'second signal: exiting now');
        io.process.exit(1);
        return;
      }
      firstSignalAt = Date.now();
      logger.info({ signal }, 'shutting down gracefully (send the signal again to exit at once)');
      resolve(0);
    };
    io.process.on('SIGTERM', onSignal);
    io.process.on('SIGINT', onSignal);
  });
}

async function runWorkerRole(config: ServerConfig, logger: Logger, io: ServerIo): Promise<number> {
  let running: RunningWorker;
  try {
    running = await runWorker(
      {
        nodeId: config.nodeId,
        coordinators: config.coordinators,
        host: config.host,
        advertiseHost: config.advertiseHost,
        apiPort: config.apiPort,
        dataDir: config.dataDir,
        clusterName: config.clusterName,
        vnodes: config.vnodes,
        redisUrl: config.redisUrl ?? 'redis://127.0.0.1:6379',
        clusterSecret: config.clusterSecret,
        apiToken: config.apiToken,
        apiBodyLimit: config.apiBodyLimit,
        workerTimeoutMs: config.workerTimeoutMs,
        version: packageVersion(),
      },
      logger,
    );
  } catch (err) {
    logger.fatal({ err }, 'could not start the worker');
    return 1;
  }
  const startFailure = running.started.then(
    () => new Promise<number>(() => {}),
    (err: unknown) => {
      logger.fatal({ err }, 'could not join the cluster');
      return err instanceof JoinRefusedError ? 2 : 1;
    },
  );
  const code = await Promise.race([untilSignal(logger, io), startFailure]);
  // The hand-off is bounded (10 s); past that, a Redis or coordinator outage must not keep the
  // process alive: the vnodes' events wait in Redis for the next owner either way.
  const bound = new Promise<void>((resolve) => setTimeout(resolve, 20_000).unref());
  await Promise.race([
    running.stop().catch((err: unknown) => logger.error({ err }, 'error while stopping')),
    bound.then(() => logger.warn('stopping took over 20 s; exiting anyway')),
  ]);
  logger.info({ code }, 'stopped');
  return code;
}
