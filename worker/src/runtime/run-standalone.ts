/**
 * The "cluster of one" (CONTRACT §1): a coordinator (Raft of one, file snapshots) and a worker in
 * one process, sharing one HTTP API that serves both the cluster routes and ingest. The worker is
 * the same WorkerNode a worker process runs: it joins its own coordinator over the cluster port,
 * so the join, watch and reconcile paths a cluster relies on are the ones a laptop exercises.
 *
 * Events go through the in-process transport, or through Redis streams when `redisUrl` is given.
 * The in-process transport holds them in this process: a graceful stop saves what is not yet
 * delivered to the data dir and the next start reads it back, but a crash loses it
 * (docs/operations.md says so; a cluster uses Redis).
 */
import type { Logger } from 'pino';
import type { ApiInstance } from '../../../control-plane/src/api/deps';
import {
  defaultRegistry,
  runCoordinator,
  type CoordinatorRunConfig,
  type RunningCoordinator,
} from '../../../control-plane/src/coordinator/run-coordinator';
import { bracketed } from '../../../control-plane/src/transport/address';
import { promCounters } from '../flows/pipeline-counters';
import type { EventTransport } from '../transport/event-transport';
import { MemoryTransport } from '../transport/memory/memory-transport';
import {
  loadMemoryTransport,
  saveMemoryTransport,
} from '../transport/memory/memory-transport-file';
import { RedisTransport } from '../transport/redis/redis-transport';
import { keptWorkerId } from './run-worker';
import { WorkerFlows } from './worker-flows';
import { promWorkerMetrics } from './worker-metrics';
import { WorkerNode } from './worker-node';

export interface StandaloneRunConfig extends Omit<CoordinatorRunConfig, 'peers'> {
  /** Event streams in this Redis instead of in process memory. */
  readonly redisUrl: string | null;
}

export interface RunningStandalone {
  readonly coordinator: RunningCoordinator;
  readonly worker: WorkerNode;
  readonly app: ApiInstance;
  /** Resolves once the coordinator leads its cluster of one and the worker has joined it. */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/** The `redis-stream` sink's default Redis when standalone was given none (CONTRACT §4). */
const DEFAULT_SINK_REDIS = 'redis://127.0.0.1:6379';

export async function runStandalone(
  cfg: StandaloneRunConfig,
  logger: Logger,
  onFatal: (err: unknown) => void,
): Promise<RunningStandalone> {
  const metrics = defaultRegistry();
  const flows = new WorkerFlows();
  const workerId = await keptWorkerId(cfg.dataDir);
  let worker: WorkerNode | null = null;
  const coordinator = await runCoordinator(
    { ...cfg, peers: [`${bracketed(cfg.advertiseHost)}:${cfg.clusterPort}`] },
    logger,
    onFatal,
    {
      metrics,
      nodeRoles: ['coordinator', 'worker'],
      ingest: flows,
      // Ready once the worker can take events: joined, and reconciled to a view of the state.
      notReadyBecause: () =>
        worker?.state === 'running' && worker.lastView !== null
          ? null
          : 'the worker has not joined the cluster yet',
    },
  );
  const log = logger.child({ component: 'worker', worker: workerId });
  let memory: MemoryTransport | null = null;
  let transport: EventTransport;
  if (cfg.redisUrl === null) {
    // Read only now that the coordinator holds the data dir's lock.
    const loaded = await loadMemoryTransport(cfg.dataDir).catch(async (err: unknown) => {
      await coordinator.stop();
      throw err;
    });
    if (loaded.restored > 0) {
      log.info({ events: loaded.restored }, 'read back the events saved at the last stop');
    }
    transport = memory = loaded.transport;
  } else {
    transport = new RedisTransport({ url: cfg.redisUrl });
  }
  worker = new WorkerNode({
    workerId,
    api: `http://${bracketed(cfg.advertiseHost)}:${cfg.apiPort}`,
    // The worker reaches its own coordinator on loopback: the advertised name may not resolve
    // on a laptop, and the cluster port listens on every address by default.
    coordinators: [`${bracketed(loopbackOf(cfg.host))}:${cfg.clusterPort}`],
    clusterName: cfg.clusterName,
    clusterSecret: cfg.clusterSecret,
    vnodeCount: cfg.vnodes,
    transport,
    flows,
    redisUrl: cfg.redisUrl ?? DEFAULT_SINK_REDIS,
    logger: log,
    counters: promCounters(metrics),
    metrics: promWorkerMetrics(metrics),
    workerTimeoutMs: cfg.workerTimeoutMs,
  });
  const started = coordinator.started.then(() => worker.start());
  let stopping: Promise<void> | null = null;
  return {
    coordinator,
    worker,
    app: coordinator.app,
    started,
    stop: () => {
      // No hand-off: there is no other worker to take the vnodes. The consumers finish their
      // batch in hand and acknowledge it; with Redis the rest waits there for the restart.
      stopping ??= (async () => {
        await worker.stop();
        await transport.close();
        if (memory !== null) {
          const saved = await saveMemoryTransport(memory, cfg.dataDir);
          if (saved > 0)
            log.info({ events: saved }, 'saved the undelivered events for the next start');
        }
        await coordinator.stop();
      })();
      return stopping;
    },
  };
}

/** An address on this machine that reaches a server bound to `host`. */
function loopbackOf(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}
