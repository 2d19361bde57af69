/**
 * local/docker-compose.yml and the Dockerfile, checked without a Docker engine (none runs on the
 * build machines): every tremor service's command and environment go through the CLI's own
 * parser and resolver, exactly as `tremor` in the container would read them, and what they say
 * must agree with the rest of the file (peers are services, ports are the ones published, the
 * Redis and DynamoDB endpoints are the services that provide them).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildProgram } from '../../cli/program';
import type { ServerConfig } from '../../cli/server-config';
import { SERVER_FLAGS } from '../../cli/server-flags';

const REPO = path.resolve(__dirname, '..', '..');

interface Service {
  readonly image?: string;
  readonly build?: { context: string; dockerfile: string };
  readonly hostname?: string;
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly healthcheck?: { test: string[] };
}

interface ComposeFile {
  readonly services: Record<string, Service>;
  readonly volumes?: Record<string, unknown>;
}

const composeText = readFileSync(path.join(REPO, 'local', 'docker-compose.yml'), 'utf8');
const file = parse(composeText, { merge: true }) as ComposeFile;
const services = Object.entries(file.services);
const tremorServices = services.filter(([, s]) => s.image === 'tremor-cluster:local');
const coordinators = tremorServices.filter(([, s]) => s.command?.includes('--coordinator'));
const workers = tremorServices.filter(([, s]) => s.command?.includes('--worker'));

/** Compose's `${NAME:-default}` interpolation, with nothing set in the environment. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_m, _name, fallback: string) => fallback);
}

/** What `tremor` in the container resolves from the service's command and environment. */
async function resolve(name: string, s: Service): Promise<ServerConfig> {
  const env = Object.fromEntries(
    Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
  );
  let stderr = '';
  const exits: number[] = [];
  let config: ServerConfig | null = null;
  const program = buildProgram({
    runServer: (c) => {
      config = c;
      return Promise.resolve(0);
    },
    io: {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
      env: { ...env, TREMOR_DATA_DIR: '/data' },
      readFile: () => {
        throw new Error('no --config file in the compose services');
      },
      hostname: () => s.hostname ?? `${name}-container-id`,
      exit: (code) => void exits.push(code),
    },
  });
  await program.parseAsync(['node', 'tremor', ...(s.command ?? [])]);
  if (exits[0] !== 0 || config === null) {
    throw new Error(`${name}: tremor refuses its command (exit ${exits[0]}): ${stderr}`);
  }
  return config;
}

/** `127.0.0.1:HOST:CONTAINER` (HOST may be a range) → its parts. */
function published(mapping: string): { ip: string; host: string; container: number } {
  const [ip, host, container] = mapping.split(':');
  return { ip: ip ?? '', host: host ?? '', container: Number(container) };
}

describe('local/docker-compose.yml', () => {
  it('has three coordinators and a scalable worker service, all from the tremor image', () => {
    expect(coordinators.map(([n]) => n)).toEqual([
      'coordinator-1',
      'coordinator-2',
      'coordinator-3',
    ]);
    expect(workers.map(([n]) => n)).toEqual(['worker']);
    for (const [, s] of tremorServices) {
      expect(s.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
      expect(existsSync(path.join(REPO, 'local', s.build?.context ?? '', 'Dockerfile'))).toBe(true);
    }
    // A scaled service cannot have a fixed container name or hostname, nor one host port.
    const [, worker] = workers[0] as [string, Service];
    expect(worker.hostname).toBeUndefined();
    expect(published(worker.ports?.[0] ?? '').host).toMatch(/^\d+-\d+$/);
  });

  it('gives every tremor service a command and environment the CLI accepts', async () => {
    for (const [name, s] of tremorServices) {
      await expect(resolve(name, s)).resolves.toBeDefined();
      for (const key of Object.keys(s.environment ?? {})) {
        if (!key.startsWith('TREMOR_')) continue;
        expect({ service: name, env: key, known: SERVER_FLAGS.some((f) => f.env === key) }).toEqual(
          { service: name, env: key, known: true },
        );
      }
    }
  });

  it('makes the coordinators one Raft group whose peers are the coordinator services', async () => {
    for (const [name, s] of coordinators) {
      const c = await resolve(name, s);
      expect(c.role).toBe('coordinator');
      expect(c.advertiseHost).toBe(name);
      expect(s.hostname).toBe(name);
      const peerHosts = c.peers.map((p) => p.split(':')[0]);
      expect(peerHosts).toEqual(coordinators.map(([n]) => n));
      // Each peer's port is the cluster port that peer listens on.
      for (const p of c.peers) {
        const [host, port] = p.split(':');
        const peer = coordinators.find(([n]) => n === host) as [string, Service];
        expect(Number(port)).toBe((await resolve(peer[0], peer[1])).clusterPort);
      }
      expect(c.snapshotStore).toBe('dynamodb');
      expect(c.dynamodbCreateTable).toBe(true);
      expect(c.dataDir).toBe('/data');
      expect(s.volumes).toContain(`${name}-data:/data`);
    }
  });

  it('points the coordinators at LocalStack and the workers at Redis, both services of the file', async () => {
    const localstack = file.services.localstack as Service;
    expect(localstack.image).toMatch(/^localstack\/localstack:4\.\d+\.\d+$/);
    expect(localstack.environment?.SERVICES).toBe('dynamodb');
    expect(localstack.healthcheck?.test.join(' ')).toContain('/_localstack/health');
    for (const [name, s] of coordinators) {
      const endpoint = new URL(s.environment?.AWS_ENDPOINT_URL_DYNAMODB ?? '');
      expect({ name, host: endpoint.hostname }).toEqual({ name, host: 'localstack' });
      expect(localstack.ports?.map((p) => published(p).container)).toContain(Number(endpoint.port));
      expect(s.depends_on?.localstack?.condition).toBe('service_healthy');
    }
    const redis = file.services.redis as Service;
    const redisCommand = redis.command?.join(' ') ?? '';
    expect(redisCommand).toContain('--appendonly yes');
    expect(redisCommand).toContain('--appendfsync always');
    for (const [name, s] of workers) {
      const w = await resolve(name, s);
      expect(w.role).toBe('worker');
      const url = new URL(w.redisUrl ?? '');
      expect(url.hostname).toBe('redis');
      expect(Number(url.port || 6379)).toBe(6379);
      expect(w.coordinators.map((c) => c.split(':')[0])).toEqual(coordinators.map(([n]) => n));
      expect(s.depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('gives coordinators and workers the same cluster name, vnode count and secret', async () => {
    const configs = await Promise.all(tremorServices.map(([n, s]) => resolve(n, s)));
    const identity = (c: ServerConfig) => [c.clusterName, c.vnodes, c.clusterSecret];
    for (const c of configs) expect(identity(c)).toEqual(identity(configs[0] as ServerConfig));
    expect(configs[0]?.clusterSecret).not.toBeNull();
  });

  it('publishes each API port on localhost only, on the port the server listens on, without clashes', async () => {
    const hostPorts: string[] = [];
    for (const [name, s] of services) {
      for (const mapping of s.ports ?? []) {
        const p = published(mapping);
        expect({ name, ip: p.ip }).toEqual({ name, ip: '127.0.0.1' });
        hostPorts.push(p.host);
      }
    }
    for (const [name, s] of tremorServices) {
      const c = await resolve(name, s);
      expect(s.ports?.map((m) => published(m).container)).toEqual([c.apiPort]);
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('depends only on services and volumes it declares', () => {
    const declaredVolumes = Object.keys(file.volumes ?? {});
    for (const [name, s] of services) {
      for (const dep of Object.keys(s.depends_on ?? {})) {
        expect({ name, dep, exists: dep in file.services }).toEqual({ name, dep, exists: true });
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] ?? '';
        expect({ name, source, declared: declaredVolumes.includes(source) }).toEqual({
          name,
          source,
          declared: true,
        });
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const instructions = (name: string) => lines.filter((l) => l.startsWith(`${name} `));

  it('builds in stages from an LTS Node image and runs as a non-root user', () => {
    const froms = instructions('FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) {
      const major = Number(/^FROM node:(\d+)-/.exec(f)?.[1]);
      // Node's LTS lines are the even majors; package.json says which ones the code runs on.
      expect(major % 2).toBe(0);
      expect(major).toBeGreaterThanOrEqual(20);
    }
    const users = instructions('USER');
    expect(users.at(-1)).toBe('USER node');
  });

  it('starts the built CLI and checks /health/ready', () => {
    const entry = JSON.parse(instructions('ENTRYPOINT')[0]?.slice('ENTRYPOINT '.length) ?? '[]') as
      string[] | [];
    expect(entry).toEqual(['node', '/app/dist/cli/tremor.js']);
    // The compiled entry point is where tsconfig.build.json puts cli/tremor.ts.
    const build = JSON.parse(readFileSync(path.join(REPO, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string };
    };
    expect(build.compilerOptions.rootDir).toBe('.');
    expect(existsSync(path.join(REPO, 'cli', 'tremor.ts'))).toBe(true);
    expect(instructions('HEALTHCHECK')[0]).toContain('/health/ready');
  });

  it('copies only paths that exist and are not excluded by .dockerignore', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    for (const copy of instructions('COPY')) {
      if (copy.includes('--from=')) continue;
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        expect({ source, exists: existsSync(path.join(REPO, source)) }).toEqual({
          source,
          exists: true,
        });
        expect({ source, ignored: ignored.includes(source) }).toEqual({ source, ignored: false });
      }
    }
  });
});
