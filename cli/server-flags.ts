/**
 * The flags of `tremor server run` as data (CONTRACT §2). The parser (server-config.ts), the
 * commander wiring (program.ts) and the help text are all built from this table, and tests outside
 * the CLI (the docker-compose check) read it to know which flags exist, so nothing can drift.
 *
 * Every flag is also an environment variable (`TREMOR_` + upper snake case) and a key of the
 * `--config` YAML file (the flag without its dashes), except `--config` itself, which cannot
 * name another file from inside a file.
 */

export type Role = 'standalone' | 'coordinator' | 'worker';

export const ROLES: readonly Role[] = ['standalone', 'coordinator', 'worker'];

/** pino's levels plus `silent`; kept in step with pino by a test. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SNAPSHOT_STORES = ['file', 'dynamodb'] as const;
export type SnapshotStoreKind = (typeof SNAPSHOT_STORES)[number];

/** The port a LIST entry gets when it names none (CONTRACT §1); the cluster transport's own rule. */
export { DEFAULT_CLUSTER_PORT as DEFAULT_LIST_PORT } from '../control-plane/src/transport/address';

/**
 * How a value is spelled and checked. On the command line and in the environment every value is
 * a string; in the YAML file it must have the YAML type that fits (see server-config.ts).
 */
export type ValueType =
  /** Present or absent on the command line; `true/false/1/0/yes/no` in the environment. */
  | { readonly kind: 'boolean' }
  /** 0..65535; 0 asks the OS for any free port (meant for tests). */
  | { readonly kind: 'port' }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  /** Bytes, plain or with a binary suffix: `16777216`, `16MiB`, `512KiB`, `1GiB`. */
  | { readonly kind: 'bytes'; readonly min: number; readonly max: number }
  /** A host name or IP address without a port (IPv6 bare or in brackets). */
  | { readonly kind: 'host' }
  /** Comma separated `host[:port]` (a YAML sequence in the file); normalized to `host:port`. */
  | { readonly kind: 'host-list' }
  /** One of `values`, case-insensitive, normalized to lower case. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** `[A-Za-z0-9_.-]`, starting with a letter or digit, within the length bounds. */
  | { readonly kind: 'name'; readonly minLength: number; readonly maxLength: number }
  /** Visible characters, no white space. */
  | { readonly kind: 'id'; readonly maxLength: number }
  /** Visible ASCII, no white space (it travels in an `Authorization` header or an HMAC key). */
  | { readonly kind: 'secret' }
  | { readonly kind: 'path' }
  | { readonly kind: 'url'; readonly protocols: readonly string[] };

export type DefaultValue = string | number | boolean | null;

export type DefaultSpec =
  | { readonly kind: 'value'; readonly value: DefaultValue }
  | {
      readonly kind: 'by-role';
      readonly standalone: DefaultValue;
      readonly coordinator: DefaultValue;
      readonly worker: DefaultValue;
    }
  /** Computed when the configuration is resolved; `text` says how, for the help. */
  | { readonly kind: 'computed'; readonly text: string };

/** The ServerConfig fields the flags fill; `--coordinator` and `--worker` make up `role`. */
export type ConfigField =
  | 'role'
  | 'peers'
  | 'coordinators'
  | 'clusterPort'
  | 'apiPort'
  | 'host'
  | 'advertiseHost'
  | 'nodeId'
  | 'dataDir'
  | 'clusterName'
  | 'vnodes'
  | 'redisUrl'
  | 'snapshotStore'
  | 'dynamodbTable'
  | 'dynamodbCreateTable'
  | 'clusterSecret'
  | 'apiToken'
  | 'workerTimeoutMs'
  | 'logLevel'
  | 'apiBodyLimit'
  | 'snapshotEvery'
  | 'configFile';

export interface FlagSpec {
  /** The flag name without dashes; also the YAML key. */
  readonly name: string;
  /** `--` + name. */
  readonly flag: string;
  /** commander's attribute name (camel case of `name`; `--no-of-vnodes` is not a negation). */
  readonly key: string;
  /** `TREMOR_` + upper snake case of `name`. */
  readonly env: string;
  /** The placeholder in the help, e.g. `N` in `--cluster-port <N>`; absent for booleans. */
  readonly valueName?: string;
  readonly type: ValueType;
  readonly default: DefaultSpec;
  readonly field: ConfigField;
  /** Roles that use the flag; giving it to another role logs a warning that it is ignored. */
  readonly roles: readonly Role[];
  /** False only for `--config`. */
  readonly inFile: boolean;
  /** False for our own additions (`--api-body-limit`, `--snapshot-every`), not in CONTRACT §2. */
  readonly inContract: boolean;
  readonly description: string;
}

const ALL: readonly Role[] = ROLES;
const NOT_WORKER: readonly Role[] = ['standalone', 'coordinator'];
const WITH_EVENTS: readonly Role[] = ['standalone', 'worker'];
const MAX_TIMER_MS = 2 ** 31 - 1; // Node turns longer timeouts into 1 ms.

export const SERVER_FLAGS = [
  {
    name: 'coordinator',
    flag: '--coordinator',
    key: 'coordinator',
    env: 'TREMOR_COORDINATOR',
    type: { kind: 'boolean' },
    default: { kind: 'value', value: false },
    field: 'role',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'run as a coordinator (Raft member) of the group named by --peers',
  },
  {
    name: 'peers',
    flag: '--peers',
    key: 'peers',
    env: 'TREMOR_PEERS',
    valueName: 'LIST',
    type: { kind: 'host-list' },
    default: { kind: 'value', value: null },
    field: 'peers',
    roles: ['coordinator'],
    inFile: true,
    inContract: true,
    description:
      'the coordinators of the Raft group, comma separated host[:port] (port 8139 if left out, IPv6 in brackets); this node may leave itself out',
  },
  {
    name: 'worker',
    flag: '--worker',
    key: 'worker',
    env: 'TREMOR_WORKER',
    type: { kind: 'boolean' },
    default: { kind: 'value', value: false },
    field: 'role',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'run as a worker of the cluster whose coordinators --coordinators names',
  },
  {
    name: 'coordinators',
    flag: '--coordinators',
    key: 'coordinators',
    env: 'TREMOR_COORDINATORS',
    valueName: 'LIST',
    type: { kind: 'host-list' },
    default: { kind: 'value', value: null },
    field: 'coordinators',
    roles: ['worker'],
    inFile: true,
    inContract: true,
    description: "the cluster's coordinators, comma separated host[:port] (port 8139 if left out)",
  },
  {
    name: 'cluster-port',
    flag: '--cluster-port',
    key: 'clusterPort',
    env: 'TREMOR_CLUSTER_PORT',
    valueName: 'N',
    type: { kind: 'port' },
    default: { kind: 'value', value: 8139 },
    field: 'clusterPort',
    roles: ALL,
    inFile: true,
    inContract: true,
    description:
      'cluster transport port (Raft between coordinators, control between coordinators and workers); 0 means any free port (tests; not for coordinators)',
  },
  {
    name: 'api-port',
    flag: '--api-port',
    key: 'apiPort',
    env: 'TREMOR_API_PORT',
    valueName: 'N',
    type: { kind: 'port' },
    default: { kind: 'value', value: 9898 },
    field: 'apiPort',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'HTTP API port; 0 means any free port (tests)',
  },
  {
    name: 'host',
    flag: '--host',
    key: 'host',
    env: 'TREMOR_HOST',
    valueName: 'ADDR',
    type: { kind: 'host' },
    default: { kind: 'value', value: '0.0.0.0' },
    field: 'host',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'bind address for both ports',
  },
  {
    name: 'advertise-host',
    flag: '--advertise-host',
    key: 'advertiseHost',
    env: 'TREMOR_ADVERTISE_HOST',
    valueName: 'ADDR',
    type: { kind: 'host' },
    default: { kind: 'computed', text: "the host's name" },
    field: 'advertiseHost',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'address other nodes use to reach this one',
  },
  {
    name: 'node-id',
    flag: '--node-id',
    key: 'nodeId',
    env: 'TREMOR_NODE_ID',
    valueName: 'ID',
    type: { kind: 'id', maxLength: 255 },
    default: {
      kind: 'computed',
      text: 'coordinators and standalone: the advertised host:cluster-port; workers: generated once and kept in the data dir',
    },
    field: 'nodeId',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'stable identity of this node',
  },
  {
    name: 'data-dir',
    flag: '--data-dir',
    key: 'dataDir',
    env: 'TREMOR_DATA_DIR',
    valueName: 'DIR',
    type: { kind: 'path' },
    default: { kind: 'value', value: './tremor-data' },
    field: 'dataDir',
    roles: ALL,
    inFile: true,
    inContract: true,
    description:
      'Raft log, local snapshots, node identity (relative to the working directory); locked by one process at a time',
  },
  {
    name: 'cluster-name',
    flag: '--cluster-name',
    key: 'clusterName',
    env: 'TREMOR_CLUSTER_NAME',
    valueName: 'NAME',
    type: { kind: 'name', minLength: 1, maxLength: 64 },
    default: { kind: 'value', value: 'tremor' },
    field: 'clusterName',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'a worker or coordinator of another cluster name is refused',
  },
  {
    name: 'no-of-vnodes',
    flag: '--no-of-vnodes',
    key: 'noOfVnodes',
    env: 'TREMOR_NO_OF_VNODES',
    valueName: 'N',
    type: { kind: 'integer', min: 1, max: 65536 },
    default: { kind: 'value', value: 64 },
    field: 'vnodes',
    roles: ALL,
    inFile: true,
    inContract: true,
    description:
      'vnode count (1..65536), fixed when the cluster is first formed; a worker that passes a different value is refused at join',
  },
  {
    name: 'redis-url',
    flag: '--redis-url',
    key: 'redisUrl',
    env: 'TREMOR_REDIS_URL',
    valueName: 'URL',
    type: { kind: 'url', protocols: ['redis:', 'rediss:'] },
    default: {
      kind: 'by-role',
      standalone: null,
      coordinator: null,
      worker: 'redis://127.0.0.1:6379',
    },
    field: 'redisUrl',
    roles: WITH_EVENTS,
    inFile: true,
    inContract: true,
    description: 'Redis used for event streams (standalone uses it too when given)',
  },
  {
    name: 'snapshot-store',
    flag: '--snapshot-store',
    key: 'snapshotStore',
    env: 'TREMOR_SNAPSHOT_STORE',
    valueName: 'file|dynamodb',
    type: { kind: 'enum', values: SNAPSHOT_STORES },
    default: { kind: 'value', value: 'file' },
    field: 'snapshotStore',
    roles: NOT_WORKER,
    inFile: true,
    inContract: true,
    description: 'where Raft snapshots go',
  },
  {
    name: 'dynamodb-table',
    flag: '--dynamodb-table',
    key: 'dynamodbTable',
    env: 'TREMOR_DYNAMODB_TABLE',
    valueName: 'NAME',
    type: { kind: 'name', minLength: 3, maxLength: 255 },
    default: { kind: 'value', value: 'tremor-snapshots' },
    field: 'dynamodbTable',
    roles: NOT_WORKER,
    inFile: true,
    inContract: true,
    description:
      'DynamoDB table for --snapshot-store dynamodb; endpoint and region from the AWS SDK settings (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_REGION)',
  },
  {
    name: 'dynamodb-create-table',
    flag: '--dynamodb-create-table',
    key: 'dynamodbCreateTable',
    env: 'TREMOR_DYNAMODB_CREATE_TABLE',
    type: { kind: 'boolean' },
    default: { kind: 'value', value: false },
    field: 'dynamodbCreateTable',
    roles: NOT_WORKER,
    inFile: true,
    inContract: true,
    description: 'create the DynamoDB table if it is missing (local use)',
  },
  {
    name: 'cluster-secret',
    flag: '--cluster-secret',
    key: 'clusterSecret',
    env: 'TREMOR_CLUSTER_SECRET',
    valueName: 'S',
    type: { kind: 'secret' },
    default: { kind: 'value', value: null },
    field: 'clusterSecret',
    roles: ALL,
    inFile: true,
    inContract: true,
    description:
      'nodes prove knowledge of it before the cluster transport accepts them (a warning is logged in cluster mode without it)',
  },
  {
    name: 'api-token',
    flag: '--api-token',
    key: 'apiToken',
    env: 'TREMOR_API_TOKEN',
    valueName: 'T',
    type: { kind: 'secret' },
    default: { kind: 'value', value: null },
    field: 'apiToken',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'when set, every API route but /health/* needs "Authorization: Bearer T"',
  },
  {
    name: 'worker-timeout-ms',
    flag: '--worker-timeout-ms',
    key: 'workerTimeoutMs',
    env: 'TREMOR_WORKER_TIMEOUT_MS',
    valueName: 'N',
    type: { kind: 'integer', min: 1, max: MAX_TIMER_MS },
    default: { kind: 'value', value: 2000 },
    field: 'workerTimeoutMs',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: 'a worker silent this long is declared dead and its vnodes move',
  },
  {
    name: 'log-level',
    flag: '--log-level',
    key: 'logLevel',
    env: 'TREMOR_LOG_LEVEL',
    valueName: 'L',
    type: { kind: 'enum', values: LOG_LEVELS },
    default: { kind: 'value', value: 'info' },
    field: 'logLevel',
    roles: ALL,
    inFile: true,
    inContract: true,
    description: `pino level (${LOG_LEVELS.join(', ')}); logs are JSON lines on stdout, pretty on a terminal`,
  },
  {
    name: 'api-body-limit',
    flag: '--api-body-limit',
    key: 'apiBodyLimit',
    env: 'TREMOR_API_BODY_LIMIT',
    valueName: 'BYTES',
    type: { kind: 'bytes', min: 1, max: Number.MAX_SAFE_INTEGER },
    default: { kind: 'value', value: 16 * 1024 * 1024 },
    field: 'apiBodyLimit',
    roles: ALL,
    inFile: true,
    inContract: false,
    description:
      'largest HTTP request body accepted (larger ones get 413); bytes, or with a suffix: 512KiB, 16MiB, 1GiB',
  },
  {
    name: 'snapshot-every',
    flag: '--snapshot-every',
    key: 'snapshotEvery',
    env: 'TREMOR_SNAPSHOT_EVERY',
    valueName: 'N',
    type: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
    default: { kind: 'value', value: 10000 },
    field: 'snapshotEvery',
    roles: NOT_WORKER,
    inFile: true,
    inContract: false,
    description: 'Raft log entries applied between snapshots (then the log is compacted)',
  },
  {
    name: 'config',
    flag: '--config',
    key: 'config',
    env: 'TREMOR_CONFIG',
    valueName: 'FILE',
    type: { kind: 'path' },
    default: { kind: 'value', value: null },
    field: 'configFile',
    roles: ALL,
    inFile: false,
    inContract: true,
    description:
      'YAML file of settings, keys spelled as the flags without dashes (cluster-port: 8139); flags and environment override it',
  },
] as const satisfies readonly FlagSpec[];

export type FlagName = (typeof SERVER_FLAGS)[number]['name'];

const BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(SERVER_FLAGS.map((s) => [s.name, s]));

export function flagSpec(name: FlagName): FlagSpec {
  const spec = BY_NAME.get(name);
  if (spec === undefined) throw new Error(`no flag named ${name}`);
  return spec;
}

export function findFlagSpec(name: string): FlagSpec | undefined {
  return BY_NAME.get(name);
}

/** The default as the help shows it. */
export function describeDefault(spec: FlagSpec): string {
  const d = spec.default;
  switch (d.kind) {
    case 'value':
      return showDefault(d.value);
    case 'by-role':
      return ROLES.map((r) => `${r}: ${showDefault(d[r])}`).join('; ');
    case 'computed':
      return d.text;
  }
}

function showDefault(v: DefaultValue): string {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}
