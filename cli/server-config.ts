/**
 * Resolves the configuration of `tremor server run` from flags, environment, `--config` file and
 * defaults (CONTRACT §2), per flag in that order of precedence, and checks it. Pure: the file
 * system, the environment and the host name come in as arguments, so every rule is a unit test.
 *
 * Rules where the contract is silent:
 * - Every value given anywhere is checked, even one a higher source overrides: a broken setting
 *   fails the start that reads it instead of the later start that stops overriding it.
 * - An empty environment variable counts as unset (compose files write `TREMOR_X=${X}`); YAML
 *   `null` counts as unset too. An empty value on the command line or a `""` in the file is an
 *   error.
 * - In the file, values need their YAML type: ports and counts are numbers, booleans are
 *   `true`/`false`, names and secrets are strings (quote `"0123"`); a LIST is a sequence of strings
 *   or one comma separated string; a byte size is a number or a string such as `16MiB`.
 * - Booleans are switched on by the flag; the environment and the file can say `false`, and the
 *   command line cannot switch off what they switched on.
 */
import { isIP } from 'node:net';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import {
  DEFAULT_CLUSTER_PORT,
  formatClusterAddress,
  parseClusterAddress,
  type ClusterAddress,
} from '../control-plane/src/transport/address';
import {
  SERVER_FLAGS,
  findFlagSpec,
  flagSpec,
  type ConfigField,
  type FlagName,
  type LogLevel,
  type Role,
  type SnapshotStoreKind,
  type ValueType,
} from './server-flags';

export type ValueSource = 'flag' | 'env' | 'file' | 'default';

export interface ServerConfig {
  readonly role: Role;
  /** Normalized `host:port` (`[v6]:port`); empty unless a coordinator. Need not include itself. */
  readonly peers: readonly string[];
  /** Normalized `host:port`; empty unless a worker. */
  readonly coordinators: readonly string[];
  /** 0: any free port (tests). */
  readonly clusterPort: number;
  /** 0: any free port (tests). */
  readonly apiPort: number;
  /** Bind address, IPv6 without brackets (as `listen()` takes it). */
  readonly host: string;
  /** Host name or IP, IPv6 without brackets; `formatAddress` makes `host:port` of it. */
  readonly advertiseHost: string;
  /** null for a worker without `--node-id`: the runtime generates one and keeps it in the data dir. */
  readonly nodeId: string | null;
  readonly dataDir: string;
  readonly clusterName: string;
  readonly vnodes: number;
  /** Workers always have one; standalone only when given; coordinators never. */
  readonly redisUrl: string | null;
  readonly snapshotStore: SnapshotStoreKind;
  readonly dynamodbTable: string;
  readonly dynamodbCreateTable: boolean;
  readonly clusterSecret: string | null;
  readonly apiToken: string | null;
  readonly workerTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly apiBodyLimit: number;
  readonly snapshotEvery: number;
  /** The `--config` file read, if any. */
  readonly configFile: string | null;
  /** Where each field came from, for logs (e.g. a `--no-of-vnodes` left at its default is not a request). */
  readonly sources: Readonly<Record<ConfigField, ValueSource>>;
}

/** A usage or configuration error: exit status 2. `flag` names the flag, or the config file. */
export interface UsageError {
  readonly flag: string;
  /** The whole sentence for stderr; it names the flag or file too. */
  readonly message: string;
}

export type ResolveResult =
  | { readonly ok: true; readonly config: ServerConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: UsageError };

export interface ResolveInput {
  /** Values given on the command line, by commander attribute name (`clusterPort`, `noOfVnodes`). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: NodeJS.ProcessEnv;
  /** Reads the `--config` file as UTF-8; throws if it cannot. */
  readonly readFile: (path: string) => string;
  readonly hostname: () => string;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return formatClusterAddress({ host, port });
}

/** Where `field` came from, spelled for a person: `--peers`, `TREMOR_PEERS`, `tremor.yaml`, `default`. */
export function describeSource(config: ServerConfig, field: ConfigField): string {
  const spec = SERVER_FLAGS.find((s) => s.field === field && s.field !== 'role');
  const source = config.sources[field];
  switch (source) {
    case 'flag':
      return spec?.flag ?? 'the command line';
    case 'env':
      return spec?.env ?? 'the environment';
    case 'file':
      return config.configFile ?? 'the config file';
    case 'default':
      return 'default';
  }
}

/** The configuration as it may be logged: secrets masked. */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  const mask = (s: string | null): string | null => (s === null ? null : '***');
  return { ...config, clusterSecret: mask(config.clusterSecret), apiToken: mask(config.apiToken) };
}

type Value = string | number | boolean | readonly string[] | null;

interface Resolved {
  readonly value: Value;
  readonly source: ValueSource;
}

class Failure extends Error {
  constructor(readonly usage: UsageError) {
    super(usage.message);
  }
}

function fail(flag: string, message: string): never {
  throw new Failure({ flag, message });
}

/** Environment variables with our prefix that are not settings of `server run` but are not typos either. */
const OTHER_COMMANDS_ENV = new Set(['TREMOR_API']);

export function resolveServerConfig(input: ResolveInput): ResolveResult {
  try {
    return resolve(input);
  } catch (err) {
    if (err instanceof Failure) return { ok: false, error: err.usage };
    throw err;
  }
}

function resolve(input: ResolveInput): ResolveResult {
  const warnings: string[] = [];
  const flagValues = readFlags(input.flags);
  const envValues = readEnv(input.env, warnings);

  const configPath = flagValues.get('config') ?? envValues.get('config') ?? null;
  if (configPath !== null && typeof configPath !== 'string') {
    throw new Error('--config parsed to a non-string');
  }
  const fileValues =
    configPath === null ? new Map<string, Value>() : readConfigFile(configPath, input, warnings);

  const pick = (name: FlagName): Resolved | undefined => {
    const spec = flagSpec(name);
    if (flagValues.has(spec.name))
      return { value: flagValues.get(spec.name) ?? null, source: 'flag' };
    if (envValues.has(spec.name)) return { value: envValues.get(spec.name) ?? null, source: 'env' };
    if (fileValues.has(spec.name))
      return { value: fileValues.get(spec.name) ?? null, source: 'file' };
    return undefined;
  };
  const where = (name: FlagName): string => {
    const got = pick(name);
    const spec = flagSpec(name);
    if (got === undefined || got.source === 'flag') return '';
    if (got.source === 'env') return ` (set by ${spec.env})`;
    return ` (set in ${configPath ?? 'the config file'})`;
  };
  const given = (name: FlagName): boolean => {
    const got = pick(name);
    if (got === undefined) return false;
    if (typeof got.value === 'boolean') return got.value;
    return got.value !== null;
  };

  // Role: the cross-flag rules of CONTRACT §1.
  const isCoordinator = given('coordinator');
  const isWorker = given('worker');
  if (isCoordinator && isWorker) {
    fail(
      '--coordinator',
      `--coordinator${where('coordinator')} and --worker${where('worker')} cannot be combined: a node is a coordinator or a worker (give neither for standalone, which is both in one process)`,
    );
  }
  if (given('peers') && !isCoordinator) {
    fail(
      '--peers',
      `--peers${where('peers')} is only valid with --coordinator${isWorker ? ' (a worker names its coordinators with --coordinators)' : ''}`,
    );
  }
  if (given('coordinators') && !isWorker) {
    fail(
      '--coordinators',
      `--coordinators${where('coordinators')} is only valid with --worker${isCoordinator ? ' (a coordinator names the Raft group with --peers)' : ''}`,
    );
  }
  if (isCoordinator && !given('peers')) {
    fail('--peers', `--peers is required with --coordinator${where('coordinator')}`);
  }
  if (isWorker && !given('coordinators')) {
    fail('--coordinators', `--coordinators is required with --worker${where('worker')}`);
  }
  const role: Role = isCoordinator ? 'coordinator' : isWorker ? 'worker' : 'standalone';

  const sources = {} as Record<ConfigField, ValueSource>;
  sources.role = isCoordinator
    ? (pick('coordinator')?.source ?? 'default')
    : isWorker
      ? (pick('worker')?.source ?? 'default')
      : 'default';

  const valueOf = (name: FlagName): Value => {
    const spec = flagSpec(name);
    const got = pick(name);
    if (got !== undefined && got.value !== null) {
      sources[spec.field] = got.source;
      return got.value;
    }
    sources[spec.field] = 'default';
    const d = spec.default;
    if (d.kind === 'value') return d.value;
    if (d.kind === 'by-role') return d[role];
    return null; // computed below
  };
  const num = (name: FlagName): number => expectType(name, valueOf(name), 'number');
  const str = (name: FlagName): string => expectType(name, valueOf(name), 'string');
  const strOrNull = (name: FlagName): string | null => {
    const v = valueOf(name);
    return v === null ? null : expectType(name, v, 'string');
  };
  const bool = (name: FlagName): boolean => expectType(name, valueOf(name), 'boolean');
  const list = (name: FlagName): readonly string[] => {
    const v = valueOf(name);
    if (v === null) return [];
    if (!Array.isArray(v)) throw new Error(`--${name} resolved to a non-list`);
    return v as readonly string[];
  };

  for (const spec of SERVER_FLAGS) {
    const got = pick(spec.name);
    if (got === undefined || !given(spec.name)) continue;
    if (!(spec.roles as readonly Role[]).includes(role)) {
      warnings.push(`${spec.flag}${where(spec.name)} is ignored by ${roleNoun(role)}`);
    }
  }

  const clusterPort = num('cluster-port');
  if (role === 'coordinator' && clusterPort === 0) {
    fail(
      '--cluster-port',
      `--cluster-port 0 (any free port)${where('cluster-port')} cannot be used by a coordinator: its peers must know the port to reach it`,
    );
  }
  const advertiseGiven = strOrNull('advertise-host');
  const advertiseHost = advertiseGiven ?? (unbracket(input.hostname().trim()) || 'localhost');
  const nodeIdGiven = strOrNull('node-id');
  const nodeId =
    nodeIdGiven ?? (role === 'worker' ? null : formatAddress(advertiseHost, clusterPort));

  const snapshotStore = str('snapshot-store') as SnapshotStoreKind;
  const dynamodbTable = str('dynamodb-table');
  const dynamodbCreateTable = bool('dynamodb-create-table');
  if (snapshotStore === 'file' && role !== 'worker') {
    for (const name of ['dynamodb-table', 'dynamodb-create-table'] as const) {
      if (given(name)) {
        warnings.push(
          `--${name}${where(name)} has no effect with --snapshot-store file${where('snapshot-store')}`,
        );
      }
    }
  }

  const clusterSecret = strOrNull('cluster-secret');
  if (clusterSecret === null && role !== 'standalone') {
    warnings.push(
      'no --cluster-secret set: the cluster transport accepts any node that can reach the cluster port; set --cluster-secret (or TREMOR_CLUSTER_SECRET) to the same value on every node',
    );
  }

  const fields: Omit<ServerConfig, 'sources'> = {
    role,
    peers: dedupe(list('peers'), '--peers', warnings),
    coordinators: dedupe(list('coordinators'), '--coordinators', warnings),
    clusterPort,
    apiPort: num('api-port'),
    host: str('host'),
    advertiseHost,
    nodeId,
    dataDir: str('data-dir'),
    clusterName: str('cluster-name'),
    vnodes: num('no-of-vnodes'),
    // Coordinators hold no event streams; a --redis-url given to one was warned about above.
    redisUrl: role === 'coordinator' ? null : strOrNull('redis-url'),
    snapshotStore,
    dynamodbTable,
    dynamodbCreateTable,
    clusterSecret,
    apiToken: strOrNull('api-token'),
    workerTimeoutMs: num('worker-timeout-ms'),
    logLevel: str('log-level') as LogLevel,
    apiBodyLimit: num('api-body-limit'),
    snapshotEvery: num('snapshot-every'),
    configFile: strOrNull('config'),
  };
  if (role === 'coordinator') sources.redisUrl = 'default';
  const ordered: Partial<Record<ConfigField, ValueSource>> = {};
  for (const field of Object.keys(fields) as ConfigField[]) {
    const source = sources[field] as ValueSource | undefined;
    if (source === undefined) throw new Error(`resolveServerConfig: no source for ${field}`);
    ordered[field] = source;
  }
  const config: ServerConfig = {
    ...fields,
    sources: ordered as Record<ConfigField, ValueSource>,
  };
  return { ok: true, config, warnings };
}

function roleNoun(role: Role): string {
  return role === 'standalone' ? 'standalone' : `${role}s`;
}

function expectType<T extends 'string' | 'number' | 'boolean'>(
  name: string,
  v: Value,
  type: T,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  if (typeof v !== type) throw new Error(`--${name} resolved to ${typeof v}, not ${type}`);
  return v as T extends 'string' ? string : T extends 'number' ? number : boolean;
}

function dedupe(entries: readonly string[], flag: string, warnings: string[]): readonly string[] {
  const out = [...new Set(entries)];
  if (out.length < entries.length) {
    warnings.push(`${flag} names an address more than once; duplicates are ignored`);
  }
  return out;
}

// --- sources ---------------------------------------------------------------------------------

function readFlags(flags: ResolveInput['flags']): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const spec = SERVER_FLAGS.find((s) => s.key === key);
    if (spec === undefined) throw new Error(`resolveServerConfig: unknown flag key ${key}`);
    if (spec.type.kind === 'boolean') {
      if (typeof raw === 'boolean') {
        out.set(spec.name, raw);
        continue;
      }
    } else if (typeof raw !== 'string') {
      throw new Error(`resolveServerConfig: flag ${spec.flag} has a non-string value`);
    }
    const parsed = parseText(spec.type, String(raw));
    if (!parsed.ok) fail(spec.flag, `${spec.flag}: ${parsed.problem}`);
    out.set(spec.name, parsed.value);
  }
  return out;
}

function readEnv(env: NodeJS.ProcessEnv, warnings: string[]): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const spec of SERVER_FLAGS) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    const parsed = parseText(spec.type, raw);
    if (!parsed.ok) fail(spec.flag, `${spec.env} (${spec.flag}): ${parsed.problem}`);
    out.set(spec.name, parsed.value);
  }
  const known = new Set<string>(SERVER_FLAGS.map((s) => s.env));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('TREMOR_') || known.has(name) || OTHER_COMMANDS_ENV.has(name)) continue;
    const near = nearest(name, [...known]);
    warnings.push(
      `${name} is set but is not a setting of tremor server run${near ? ` (did you mean ${near}?)` : ''}`,
    );
  }
  return out;
}

function readConfigFile(path: string, input: ResolveInput, warnings: string[]): Map<string, Value> {
  let text: string;
  try {
    text = input.readFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    fail(path, `${path}: cannot read the config file: ${reason}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const first = (syntax.message.split('\n')[0] ?? '').replace(/:$/, '');
    fail(path, `${path}: not valid YAML: ${first}`);
  }
  for (const w of doc.warnings) warnings.push(`${path}: ${w.message.split('\n')[0] ?? ''}`);

  const out = new Map<string, Value>();
  if (doc.contents === null) return out; // an empty file sets nothing
  if (!isMap(doc.contents)) {
    fail(path, `${path}: expected a mapping of settings, such as "cluster-port: 8139"`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail(path, `${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lines = new Map<string, number>();
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && pair.key.range) {
      lines.set(String(pair.key.value), lineCounter.linePos(pair.key.range[0]).line);
    }
  }
  const fileKeys = SERVER_FLAGS.filter((s) => s.inFile).map((s) => s.name);
  for (const [key, raw] of Object.entries(data as Record<string, unknown>)) {
    const at = lines.has(key) ? `${path}:${lines.get(key)}` : path;
    const spec = findFlagSpec(key);
    if (spec === undefined || !spec.inFile) {
      const why =
        spec !== undefined
          ? ' (--config cannot be set inside a config file)'
          : hintForKey(key, fileKeys);
      fail(path, `${at}: unknown key "${key}"${why}`);
    }
    if (raw === null || raw === undefined) continue; // `key:` with no value leaves it unset
    const parsed = parseYamlValue(spec.type, raw);
    if (!parsed.ok) fail(path, `${at}: ${key}: ${parsed.problem}`);
    out.set(spec.name, parsed.value);
  }
  return out;
}

function hintForKey(key: string, known: readonly string[]): string {
  const kebab = key
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  if (kebab !== key && known.includes(kebab)) {
    return ` (keys are spelled as the flags without dashes in front: "${kebab}")`;
  }
  const near = nearest(key, known);
  return near ? ` (did you mean "${near}"?)` : '';
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // suggest only close spellings
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

// --- values ----------------------------------------------------------------------------------

type Parsed =
  { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly problem: string };

const ok = (value: Value): Parsed => ({ ok: true, value });
const bad = (problem: string): Parsed => ({ ok: false, problem });

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);
const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A value spelled as text: the command line or the environment (or a string in the file). */
export function parseText(type: ValueType, text: string): Parsed {
  switch (type.kind) {
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return ok(true);
      if (FALSE_WORDS.has(word)) return ok(false);
      return bad(`expected true or false (or 1/0, yes/no), got ${quote(text)}`);
    }
    case 'port':
      return integerIn(text.trim(), 0, 65535, 'a port number (0..65535, 0 means any free port)');
    case 'integer':
      return integerIn(text.trim(), type.min, type.max, `an integer in ${type.min}..${type.max}`);
    case 'bytes': {
      const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
      const unit = m?.[2]?.toLowerCase() ?? '';
      const factor = BYTE_UNITS[unit];
      if (!m || factor === undefined) {
        return bad(`expected a size in bytes such as 16777216 or 16MiB, got ${quote(text)}`);
      }
      const n = Number(m[1]) * factor;
      if (!Number.isSafeInteger(n) || n < type.min || n > type.max) {
        return bad(`expected a size of at least ${type.min} byte(s), got ${quote(text)}`);
      }
      return ok(n);
    }
    case 'host': {
      const host = checkHost(text.trim());
      return host.ok ? ok(host.host) : bad(host.problem);
    }
    case 'host-list': {
      return hostList(text.split(',').map((e) => e.trim()));
    }
    case 'enum': {
      const v = text.trim().toLowerCase();
      if (type.values.includes(v)) return ok(v);
      return bad(`expected one of ${type.values.join(', ')}, got ${quote(text)}`);
    }
    case 'name': {
      const pattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
      if (text.length < type.minLength || text.length > type.maxLength || !pattern.test(text)) {
        return bad(
          `expected ${type.minLength}..${type.maxLength} characters of letters, digits, "_", "." and "-", starting with a letter or digit, got ${quote(text)}`,
        );
      }
      return ok(text);
    }
    case 'id':
      if (text === '' || text.length > type.maxLength || !/^[^\s\p{Cc}]+$/u.test(text)) {
        return bad(
          `expected 1..${type.maxLength} visible characters without white space, got ${quote(text)}`,
        );
      }
      return ok(text);
    case 'secret':
      // The value is never echoed back: it is a secret.
      if (text === '') return bad('must not be empty');
      if (!/^[\x21-\x7e]+$/.test(text)) {
        return bad('must be visible ASCII characters without white space');
      }
      return ok(text);
    case 'path':
      if (text.trim() === '') return bad('expected a path, got an empty value');
      return ok(text);
    case 'url': {
      let url: URL;
      try {
        url = new URL(text.trim());
      } catch {
        return bad(`expected a URL such as redis://127.0.0.1:6379, got ${quote(text)}`);
      }
      if (!type.protocols.includes(url.protocol)) {
        return bad(
          `expected a ${type.protocols.map((p) => `${p}//`).join(' or ')} URL, got ${quote(text)}`,
        );
      }
      return ok(text.trim());
    }
  }
}

/** A value from the YAML file: it must have the YAML type that fits. */
export function parseYamlValue(type: ValueType, raw: unknown): Parsed {
  switch (type.kind) {
    case 'boolean':
      return typeof raw === 'boolean'
        ? ok(raw)
        : bad(`expected true or false, got ${describe(raw)}`);
    case 'port':
    case 'integer':
      if (typeof raw !== 'number') return bad(`expected an integer, got ${describe(raw)}`);
      return parseText(type, String(raw));
    case 'bytes':
      if (typeof raw === 'number' || typeof raw === 'string') return parseText(type, String(raw));
      return bad(`expected a size in bytes such as 16777216 or "16MiB", got ${describe(raw)}`);
    case 'host-list':
      if (typeof raw === 'string') return parseText(type, raw);
      if (Array.isArray(raw)) {
        const bad1 = raw.findIndex((e) => typeof e !== 'string');
        if (bad1 >= 0) {
          return bad(
            `entry ${bad1 + 1}: expected a string host[:port], got ${describe(raw[bad1])}`,
          );
        }
        return hostList((raw as string[]).map((e) => e.trim()));
      }
      return bad(`expected a list of host[:port] strings, got ${describe(raw)}`);
    default:
      if (typeof raw !== 'string') {
        return bad(
          `expected a string, got ${describe(raw)}${typeof raw === 'number' ? ' (quote it)' : ''}`,
        );
      }
      return parseText(type, raw);
  }
}

function integerIn(text: string, min: number, max: number, what: string): Parsed {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    return bad(`expected ${what}, got ${quote(text)}`);
  }
  return ok(n);
}

function hostList(entries: readonly string[]): Parsed {
  if (entries.length === 0 || entries.every((e) => e === '')) {
    return bad('expected at least one host[:port], got an empty list');
  }
  const out: string[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry === '') return bad(`entry ${i + 1} is empty (a stray comma?)`);
    // The cluster transport's own parser, so the CLI accepts exactly the addresses it dials.
    let address: ClusterAddress;
    try {
      address = parseClusterAddress(entry);
    } catch {
      return bad(
        `${quote(entry)} is not host[:port] (a port is 1..65535; an IPv6 address with a port goes in brackets, e.g. [::1]:${DEFAULT_CLUSTER_PORT})`,
      );
    }
    const checked = checkHost(address.host);
    if (!checked.ok) return bad(`${quote(entry)}: ${checked.problem}`);
    out.push(formatAddress(checked.host, address.port));
  }
  return ok(out);
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

function checkHost(text: string): { ok: true; host: string } | { ok: false; problem: string } {
  const host = unbracket(text);
  if (host === '') return { ok: false, problem: 'expected a host name or IP address, got nothing' };
  if (isIP(host) !== 0) return { ok: true, host };
  if (host !== text || host.includes(':')) {
    return { ok: false, problem: `${quote(text)} is not a valid IPv6 address` };
  }
  if (!HOSTNAME.test(host)) {
    return { ok: false, problem: `${quote(text)} is not a valid host name or IP address` };
  }
  return { ok: true, host };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${v}`;
  return typeof v;
}
