/** The data-plane benchmark's settings: flags, defaults, and what every part of it takes. */

export interface DataPlaneOptions {
  /** Rounds of baseline then ours (max load); the figures compared are the medians. */
  rounds: number;
  /** Seconds of measured load per side and round. */
  durationS: number;
  /** Seconds of load before the measured window, not counted. */
  warmupS: number;
  /** Concurrent HTTP clients (ours) and producer loops (baseline, split over its processes). */
  connections: number;
  /** Events per request (ours) and per producer round (baseline). */
  batch: number;
  /**
   * At most this many events accepted and not yet at the sink: the load waits beyond it, so the
   * figure is a rate the system sustains, not a backlog building up. 0: no limit.
   */
  window: number;
  /** Vnodes of the cluster; the baseline uses as many streams. */
  vnodes: number;
  /** Characters of filler in each event, so that an event is about 128 bytes of JSON. */
  padBytes: number;
  /** Worker kills (0 skips the failover phase). */
  kills: number;
  /** Events per second during the kills, and events per request then. */
  failoverRate: number;
  failoverBatch: number;
  /** Seconds of open-loop load at half our measured rate (0 skips it). */
  halfLoadS: number;
  /** Events per second of that open loop instead of half the measured rate (0: half). */
  rate: number;
  /** `--worker-timeout-ms` of every node (2000 is the CLI's default). */
  workerTimeoutMs: number;
  /** The workers' CPU during the max-load window is profiled into this directory. */
  profileDir: string | null;
  /**
   * Before each measured phase, wait up to this long for a second in which other processes use
   * under a quarter of a core (the build machines are shared). 0: do not wait.
   */
  quietWaitS: number;
  /** Keep the cluster's data dirs and logs (and say where). */
  keep: boolean;
  only: 'ours' | 'baseline' | null;
}

export const DEFAULTS: DataPlaneOptions = {
  rounds: 3,
  durationS: 10,
  warmupS: 3,
  connections: 16,
  batch: 100,
  window: 20_000,
  vnodes: 16,
  padBytes: 64,
  kills: 10,
  failoverRate: 2_000,
  failoverBatch: 20,
  halfLoadS: 10,
  rate: 0,
  workerTimeoutMs: 2_000,
  profileDir: null,
  quietWaitS: 10,
  keep: false,
  only: null,
};

export const USAGE = `usage: bench-data-plane [--rounds N] [--duration S] [--warmup S] [--connections N] [--batch B]
         [--window N] [--vnodes N] [--kills N] [--failover-rate EV/S] [--half-load S] [--rate EV/S]
         [--worker-timeout-ms MS] [--quiet-wait S] [--only ours|baseline] [--profile DIR]
         [--keep]
  --rounds N              rounds of baseline then ours at max load, each ours on a fresh
                          cluster; medians compared; the last round adds the half load and
                          the kills (${DEFAULTS.rounds})
  --duration S            measured load per side and round (${DEFAULTS.durationS})
  --warmup S              load before the measured window, not counted (${DEFAULTS.warmupS})
  --connections N         concurrent HTTP clients / baseline producer loops (${DEFAULTS.connections})
  --batch B               events per request / per baseline producer round (${DEFAULTS.batch})
  --window N              at most N events accepted and not yet at the sink; 0: no
                          limit (${DEFAULTS.window})
  --vnodes N              vnodes of the cluster = streams of the baseline (${DEFAULTS.vnodes})
  --pad N                 filler characters per event (${DEFAULTS.padBytes})
  --kills N               worker kills, 0 skips them (${DEFAULTS.kills})
  --failover-rate EV/S    events per second during the kills (${DEFAULTS.failoverRate})
  --failover-batch B      events per request during the kills (${DEFAULTS.failoverBatch})
  --half-load S           seconds at half our measured rate, 0 skips it (${DEFAULTS.halfLoadS})
  --rate EV/S             that open loop at EV/S instead of half the measured rate
  --worker-timeout-ms MS  of every node (${DEFAULTS.workerTimeoutMs}, the CLI's default)
  --quiet-wait S          before each measured phase, wait up to S s for a second in
                          which other processes use < 25 % of a core (${DEFAULTS.quietWaitS})
  --only ours|baseline    run one side only (no ratio then)
  --profile DIR           profile the workers' CPU during the max-load window into DIR
                          and print the top modules and functions (half load and kills skipped)
  --keep                  keep the cluster's data dirs and logs`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

export function parseArgs(argv: readonly string[]): DataPlaneOptions {
  const o: DataPlaneOptions = {
    ...DEFAULTS,
    keep: Boolean(process.env.TREMOR_KEEP_E2E_DIRS) || Boolean(process.env.E2E_KEEP_DIRS),
  };
  type Numeric =
    | 'rounds'
    | 'durationS'
    | 'warmupS'
    | 'connections'
    | 'batch'
    | 'window'
    | 'vnodes'
    | 'padBytes'
    | 'kills'
    | 'failoverRate'
    | 'failoverBatch'
    | 'halfLoadS'
    | 'rate'
    | 'workerTimeoutMs'
    | 'quietWaitS';
  const numeric: Record<string, Numeric> = {
    '--rounds': 'rounds',
    '--duration': 'durationS',
    '--warmup': 'warmupS',
    '--connections': 'connections',
    '--batch': 'batch',
    '--window': 'window',
    '--vnodes': 'vnodes',
    '--pad': 'padBytes',
    '--kills': 'kills',
    '--failover-rate': 'failoverRate',
    '--failover-batch': 'failoverBatch',
    '--half-load': 'halfLoadS',
    '--rate': 'rate',
    '--worker-timeout-ms': 'workerTimeoutMs',
    '--quiet-wait': 'quietWaitS',
  };
  const atLeastOne = new Set<Numeric>([
    'rounds',
    'durationS',
    'connections',
    'batch',
    'vnodes',
    'failoverRate',
    'failoverBatch',
    'workerTimeoutMs',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--keep') {
      o.keep = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    if (flag === '--only') {
      if (value !== 'ours' && value !== 'baseline') {
        usage(`--only must be ours or baseline, not ${value}`);
      }
      o.only = value;
      continue;
    }
    if (flag === '--profile') {
      o.profileDir = value;
      continue;
    }
    const key = numeric[flag];
    if (key === undefined) usage(`unknown flag ${flag}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) usage(`${flag} must be a whole number >= 0, not ${value}`);
    if (atLeastOne.has(key) && n < 1) usage(`${flag} must be at least 1`);
    o[key] = n;
  }
  return o;
}
