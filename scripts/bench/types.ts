/** What the runners of both systems take and give back. */
import type { LoadFigures } from './load';
import { percentile } from './util';

export interface BenchOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  kills: number;
  /** Keep data dirs and logs (and say where they are). */
  keep: boolean;
  /** Failovers slower than this get the node log lines around them printed. */
  explainMs: number;
  /** `--log-level` of our coordinators during the load. */
  loadLogLevel: string;
}

export interface SlowFailover {
  kill: number;
  ms: number;
  log: string[];
}

export interface FailoverFigures {
  kills: number;
  ms: number[];
  p50Ms: number;
  maxMs: number;
  /** Failovers slower than this had their node log lines kept in `slow`. */
  explainedOverMs: number;
  slow: SlowFailover[];
}

export interface SystemFigures {
  system: string;
  version: string;
  load: LoadFigures | null;
  failover: FailoverFigures | null;
  /** Where data dirs and logs were kept (`--keep`), else null. */
  keptIn: string | null;
  notes: string[];
}

export function failoverFigures(
  ms: number[],
  slow: SlowFailover[],
  explainedOverMs: number,
): FailoverFigures {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    kills: ms.length,
    ms,
    p50Ms: percentile(sorted, 50),
    maxMs: sorted.at(-1) ?? NaN,
    explainedOverMs,
    slow,
  };
}
