/**
 * Starts a coordinator process's services from its resolved configuration: the snapshot store,
 * the `CoordinatorNode` (data dir, Raft, cluster port) and the HTTP API, and stops them in the
 * reverse order. The CLI (`tremor server run --coordinator`) is a thin layer over this.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { buildApp } from '../api';
import type { ApiInstance, IngestSink, NodeRole } from '../api/deps';
import { dynamoDbClientFromEnv } from '../snapshot-store/dynamodb-client';
import { DynamoDbSnapshotStore } from '../snapshot-store/dynamodb-snapshot-store';
import { FileSnapshotStore } from '../snapshot-store/file-snapshot-store';
import type { SnapshotStore } from '../snapshot-store/snapshot-store';
import { CoordinatorNode } from './coordinator-node';
import { registerCoordinatorMetrics } from './metrics';
import { bracketed } from '../transport/address';

export interface CoordinatorRunConfig {
  readonly nodeId: string;
  readonly peers: readonly string[];
  readonly host: string;
  readonly advertiseHost: string;
  readonly clusterPort: number;
  readonly apiPort: number;
  readonly dataDir: string;
  readonly clusterName: string;
  readonly vnodes: number;
  readonly clusterSecret: string | null;
  readonly apiToken: string | null;
  readonly apiBodyLimit: number;
  readonly snapshotStore: 'file' | 'dynamodb';
  readonly dynamodbTable: string;
  readonly dynamodbCreateTable: boolean;
  readonly snapshotEvery: number;
  readonly workerTimeoutMs: number;
  readonly version: string;
}

/** What a process that also runs a worker (standalone) adds to the coordinator's API. */
export interface CoordinatorApiExtras {
  /** The process's registry, shared with the worker's metrics; default: a new one. */
  readonly metrics?: Registry;
  readonly nodeRoles?: readonly NodeRole[];
  readonly ingest?: IngestSink;
  readonly notReadyBecause?: () => string | null;
}

export interface RunningCoordinator {
  readonly node: CoordinatorNode;
  readonly app: ApiInstance;
  /** Resolves once the node has founded, joined or resumed its cluster (or stopped first). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

export async function runCoordinator(
  cfg: CoordinatorRunConfig,
  logger: Logger,
  onFatal: (err: unknown) => void,
  extras: CoordinatorApiExtras = {},
): Promise<RunningCoordinator> {
  const store = makeSnapshotStore(cfg);
  const advertise = `${bracketed(cfg.advertiseHost)}:${cfg.clusterPort}`;
  const node = new CoordinatorNode({
    nodeId: cfg.nodeId,
    advertiseAddress: advertise,
    apiUrl: `http://${bracketed(cfg.advertiseHost)}:${cfg.apiPort}`,
    peers: cfg.peers,
    clusterName: cfg.clusterName,
    vnodes: cfg.vnodes,
    clusterSecret: cfg.clusterSecret,
    dataDir: cfg.dataDir,
    bindHost: cfg.host,
    clusterPort: cfg.clusterPort,
    snapshotStore: store,
    snapshotEvery: cfg.snapshotEvery,
    logger: logger.child({ component: 'coordinator' }),
    onFatal,
    workerTimeoutMs: cfg.workerTimeoutMs,
  });
  const metrics = extras.metrics ?? defaultRegistry();
  registerCoordinatorMetrics(metrics, node);
  const app = buildApp({
    service: node,
    version: cfg.version,
    apiToken: cfg.apiToken,
    bodyLimit: cfg.apiBodyLimit,
    metrics,
    logger: logger.child({ component: 'api' }),
    nodeRoles: extras.nodeRoles ?? ['coordinator'],
    ingest: extras.ingest,
    notReadyBecause: extras.notReadyBecause,
  });
  // The API answers health and status (not ready, 503) while the node is still forming.
  await app.listen({ host: cfg.host, port: cfg.apiPort });
  logger.info({ api: `http://${bracketed(cfg.host)}:${cfg.apiPort}` }, 'HTTP API listening');
  const started = node.start();
  let stopping: Promise<void> | null = null;
  return {
    node,
    app,
    started,
    stop: () => {
      stopping ??= (async () => {
        await app.close();
        await node.stop();
        await store?.close();
      })();
      return stopping;
    },
  };
}

/** A registry with the process's default metrics (CPU, memory, event loop). */
export function defaultRegistry(): Registry {
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  return metrics;
}

function makeSnapshotStore(cfg: CoordinatorRunConfig): SnapshotStore | null {
  if (cfg.snapshotStore === 'dynamodb') {
    return new DynamoDbSnapshotStore({
      client: dynamoDbClientFromEnv(),
      table: cfg.dynamodbTable,
      clusterName: cfg.clusterName,
      createTable: cfg.dynamodbCreateTable,
    });
  }
  return new FileSnapshotStore(path.join(cfg.dataDir, 'snapshot-store'), cfg.clusterName);
}
