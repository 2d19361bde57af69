/**
 * Starts a worker process's services from its resolved configuration: the Redis event transport,
 * the WorkerNode (join, heartbeats, watch, reconcile) and the HTTP API (ingest, status; the rest
 * forwarded to the leader), and stops them in the reverse order, handing the vnodes off first.
 * The CLI (`tremor server run --worker`) is a thin layer over this.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { buildApp } from '../../../control-plane/src/api';
import { defaultRegistry } from '../../../control-plane/src/coordinator/run-coordinator';
import type { ApiInstance } from '../../../control-plane/src/api/deps';
import { promCounters } from '../flows/pipeline-counters';
import { RedisTransport } from '../transport/redis/redis-transport';
import { WorkerApiService } from './worker-api-service';
import { WorkerFlows } from './worker-flows';
import { promWorkerMetrics } from './worker-metrics';
import { WorkerNode } from './worker-node';
import { bracketed } from '../../../control-plane/src/transport/address';

export interface WorkerRunConfig {
  /** `--node-id`; null: generated once and kept in the data dir. */
  readonly nodeId: string | null;
  readonly coordinators: readonly string[];
  readonly host: string;
  readonly advertiseHost: string;
  readonly apiPort: number;
  readonly dataDir: string;
  readonly clusterName: string;
  readonly vnodes: number;
  readonly redisUrl: string;
  readonly clusterSecret: string | null;
  readonly apiToken: string | null;
  readonly apiBodyLimit: number;
  readonly workerTimeoutMs: number;
  readonly version: string;
}

export interface RunningWorker {
  readonly node: WorkerNode;
  readonly app: ApiInstance;
  /** Resolves once the worker has joined; rejects when the cluster refuses it. */
  readonly started: Promise<void>;
  /** Graceful: the vnodes are handed off (bounded), then everything closes. */
  stop(): Promise<void>;
}

export async function runWorker(cfg: WorkerRunConfig, logger: Logger): Promise<RunningWorker> {
  const workerId = cfg.nodeId ?? (await keptWorkerId(cfg.dataDir));
  const log = logger.child({ component: 'worker', worker: workerId });
  const transport = new RedisTransport({ url: cfg.redisUrl });
  const metrics = defaultRegistry();
  const flows = new WorkerFlows();
  const apiUrl = `http://${bracketed(cfg.advertiseHost)}:${cfg.apiPort}`;
  const node = new WorkerNode({
    workerId,
    api: apiUrl,
    coordinators: cfg.coordinators,
    clusterName: cfg.clusterName,
    clusterSecret: cfg.clusterSecret,
    vnodeCount: cfg.vnodes,
    transport,
    flows,
    redisUrl: cfg.redisUrl,
    logger: log,
    counters: promCounters(metrics),
    metrics: promWorkerMetrics(metrics),
    workerTimeoutMs: cfg.workerTimeoutMs,
  });
  const app = buildApp({
    service: new WorkerApiService(node, cfg.clusterName),
    version: cfg.version,
    apiToken: cfg.apiToken,
    bodyLimit: cfg.apiBodyLimit,
    metrics,
    logger: logger.child({ component: 'api' }),
    nodeRoles: ['worker'],
    ingest: flows,
  });
  await app.listen({ host: cfg.host, port: cfg.apiPort });
  log.info({ api: apiUrl, coordinators: cfg.coordinators }, 'worker API listening; joining');
  const started = node.start();
  let stopping: Promise<void> | null = null;
  return {
    node,
    app,
    started,
    stop: () => {
      stopping ??= (async () => {
        await node.leave();
        await app.close();
        await transport.close();
      })();
      return stopping;
    },
  };
}

/** CONTRACT §2: a worker's id is generated once and kept in its data dir. */
export async function keptWorkerId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'worker-id');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept !== '') return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `worker-${randomBytes(4).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}
