/**
 * The whole cluster on one machine without Docker: redis-server (AOF, fsync on every write),
 * DynamoDB Local for the coordinators' snapshots, three coordinators and N workers as child
 * processes on loopback, each started through the CLI with its own ports and data dir. What
 * `npm run local` runs, and what tests and benchmarks can start to inject faults (kill, pause,
 * resume, restart a node by name).
 */
import { ProcessCluster, type NodeProcess } from './process-cluster';
import { startDynamoDbLocal, type DynamoDbLocal, FAKE_CREDENTIALS } from './dynamodb-local';
import { startRedis, type RedisServer } from './redis-server';

export interface LocalClusterOptions {
  readonly workers?: number;
  readonly coordinators?: number;
  readonly vnodes?: number;
  readonly clusterName?: string;
  readonly logLevel?: string;
  /** Told what is starting, for a launcher's progress lines. */
  readonly onProgress?: (step: string) => void;
}

export type FaultAction = 'kill' | 'pause' | 'resume' | 'restart' | 'stop';

export interface NodeSummary {
  readonly name: string;
  readonly role: NodeProcess['role'];
  /** Cluster address (coordinators; what `leader` names); '' for workers. */
  readonly address: string;
  readonly api: string;
  readonly state: NodeProcess['state'];
  readonly pid: number | null;
}

export class LocalCluster {
  private redisServer: RedisServer | null = null;
  private dynamo: DynamoDbLocal | null = null;
  private processes: ProcessCluster | null = null;

  constructor(private readonly options: LocalClusterOptions = {}) {}

  get redisUrl(): string {
    if (this.redisServer === null) throw new Error('the local cluster is not started');
    return this.redisServer.url;
  }

  get dynamodbEndpoint(): string {
    if (this.dynamo === null) throw new Error('the local cluster is not started');
    return this.dynamo.endpoint;
  }

  /** The directory holding every node's data dir and log. */
  get directory(): string {
    return this.cluster.directory;
  }

  get cluster(): ProcessCluster {
    if (this.processes === null) throw new Error('the local cluster is not started');
    return this.processes;
  }

  /** Starts everything; on a failure, stops what had started and rejects. */
  async start(): Promise<void> {
    const progress = this.options.onProgress ?? (() => {});
    try {
      progress('starting redis-server (appendonly, appendfsync always)');
      this.redisServer = await startRedis({ appendOnly: true, appendFsync: 'always' });
      progress('starting DynamoDB Local (Java)');
      this.dynamo = await startDynamoDbLocal();
      this.processes = new ProcessCluster({
        clusterName: this.options.clusterName ?? 'local',
        vnodes: this.options.vnodes ?? 64,
        secret: 'local-cluster-secret',
        logLevel: this.options.logLevel ?? 'info',
        redisUrl: this.redisServer.url,
        args: ['--snapshot-store', 'dynamodb', '--dynamodb-create-table'],
        env: {
          AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
        },
      });
      const coordinators = await this.processes.define(this.options.coordinators ?? 3);
      progress(`starting ${coordinators.length} coordinators`);
      for (const c of coordinators) this.processes.start(c);
      const workers = this.options.workers ?? 2;
      for (let i = 0; i < workers; i++) await this.processes.defineWorker();
      progress(`starting ${workers} workers`);
      for (const w of this.processes.workers) this.processes.start(w);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Every node with its API, state and process id. */
  nodes(): NodeSummary[] {
    if (this.processes === null) return [];
    return [...this.processes.coordinators, ...this.processes.workers].map((n) => ({
      name: n.name,
      role: n.role,
      address: n.address,
      api: n.api,
      state: n.state,
      pid: n.child?.pid ?? null,
    }));
  }

  node(name: string): NodeProcess {
    const found = [...this.cluster.coordinators, ...this.cluster.workers].find(
      (n) => n.name === name,
    );
    if (found === undefined) {
      const names = this.nodes().map((n) => n.name);
      throw new Error(`no node named ${name} (nodes: ${names.join(', ')})`);
    }
    return found;
  }

  /** A fault or repair on node `name`: kill -9, SIGSTOP, SIGCONT, kill and start, SIGTERM. */
  async act(action: FaultAction, name: string): Promise<void> {
    const n = this.node(name);
    switch (action) {
      case 'kill':
        await this.cluster.kill(n, 'SIGKILL');
        return;
      case 'stop':
        await this.cluster.kill(n, 'SIGTERM');
        return;
      case 'pause':
        this.cluster.pause(n);
        return;
      case 'resume':
        this.cluster.resume(n);
        return;
      case 'restart':
        await this.cluster.kill(n, 'SIGKILL');
        this.cluster.start(n);
        return;
    }
  }

  /** Stops every process this cluster started; nothing is left running once it resolves. */
  async stop(): Promise<void> {
    await this.processes?.stop();
    await this.dynamo?.stop();
    await this.redisServer?.stop();
    this.processes = null;
    this.dynamo = null;
    this.redisServer = null;
  }
}
