/**
 * The load: autocannon against one HTTP endpoint, each request built by `make(i)` with a fresh
 * `i`, so every write goes to its own key. Writes per second count 2xx answers only; other
 * answers and socket errors are counted apart.
 */
import { progress } from './util';

// autocannon ships no types; these are the parts of it that we use.
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  resets: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; average: number; max: number };
}
interface AutocannonTracker extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: unknown, statusCode: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AutocannonTracker;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadFigures {
  seconds: number;
  ok: number;
  writesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Answers other than 2xx, by status code. */
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
}

export interface LoadOptions {
  system: string;
  url: string;
  connections: number;
  durationS: number;
  make: (i: number) => LoadRequest;
  /** Printed every few seconds; quiet for warm-ups. */
  quiet?: boolean;
  /** The first `i` handed to `make`. */
  firstIndex?: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  let i = o.firstIndex ?? 0;
  let ok = 0;
  let other = 0;
  const tracker = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationS,
    timeout: 10,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...o.make(i++) }) }],
  });
  tracker.on('response', (_client, statusCode) => {
    if (statusCode >= 200 && statusCode < 300) ok++;
    else other++;
  });
  const started = Date.now();
  let last = 0;
  const timer = o.quiet
    ? null
    : setInterval(() => {
        const s = (Date.now() - started) / 1000;
        progress(
          o.system,
          `load ${s.toFixed(0)}/${o.durationS} s: ${Math.round((ok - last) / 2)} writes/s` +
            (other > 0 ? `, ${other} non-2xx so far` : ''),
        );
        last = ok;
      }, 2000);
  try {
    const r = await tracker;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
    const seconds = r.duration > 0 ? r.duration : o.durationS;
    return {
      seconds,
      ok: r['2xx'],
      writesPerSecond: Math.round(r['2xx'] / seconds),
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      latencyMaxMs: r.latency.max,
      non2xx: r.non2xx,
      statusCodes,
      errors: r.errors,
      timeouts: r.timeouts,
    };
  } finally {
    if (timer) clearInterval(timer);
  }
}

export function describeLoad(f: LoadFigures): string {
  const codes = Object.entries(f.statusCodes)
    .filter(([c]) => !c.startsWith('2'))
    .map(([c, n]) => `${n}x${c}`)
    .join(', ');
  return (
    `${f.writesPerSecond} writes/s (${f.ok} in ${f.seconds} s), latency p50 ${f.latencyP50Ms} ms, ` +
    `p99 ${f.latencyP99Ms} ms, max ${f.latencyMaxMs} ms; non-2xx ${f.non2xx}${codes ? ` (${codes})` : ''}, ` +
    `errors ${f.errors}, timeouts ${f.timeouts}`
  );
}
