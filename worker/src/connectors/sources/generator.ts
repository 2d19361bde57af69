/**
 * `generator: { rate_per_s, event }` (demos and benchmarks): every worker emits `event` at that
 * rate, each copy with a `seq` field counting from 0. Time is an input: `due(nowMs)` answers the
 * events owed since the start, so a slow timer catches up instead of losing rate, and at most
 * `maxBatch` come out per call so one late tick cannot flood the pipeline.
 */
import type { Json } from '../../flows/expressions/cel-values';

export interface GeneratorConfig {
  readonly rate_per_s: number;
  readonly event: Readonly<Record<string, Json>>;
}

export class GeneratorSource {
  private startMs: number | null = null;
  private emitted = 0;

  constructor(
    private readonly config: GeneratorConfig,
    private readonly maxBatch = 10_000,
  ) {}

  /** The events owed at `nowMs` (the first call starts the clock and owes one). */
  due(nowMs: number): Json[] {
    this.startMs ??= nowMs;
    const owed = Math.floor(((nowMs - this.startMs) * this.config.rate_per_s) / 1000) + 1;
    const n = Math.max(0, Math.min(owed - this.emitted, this.maxBatch));
    const out: Json[] = [];
    for (let i = 0; i < n; i++) out.push({ ...this.config.event, seq: this.emitted + i });
    this.emitted += n;
    return out;
  }

  get count(): number {
    return this.emitted;
  }
}
