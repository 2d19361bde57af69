/**
 * `throttle: { key, rate, interval_ms }`: per key, at most `rate` events pass in each window
 * `[k*interval_ms, (k+1)*interval_ms)` of `meta.ingest_ts`; the rest go to `overflow`.
 *
 * Exact, never approximate: an event counts against its own window, also when it arrives after
 * events of later windows (sources on several workers stamp `ingest_ts` independently). Counts are
 * kept for the last KEPT_WINDOWS windows before the newest one seen; an event older than that
 * cannot be counted exactly any more and goes to `overflow`, so the limit holds in every window.
 * Keys with nothing in the kept windows are forgotten, which keeps the state bounded by the keys
 * active recently.
 */
import type { Json } from '../expressions/cel-values';
import { compileExpression, type Expression } from '../expressions/expression';
import {
  checkState,
  OperatorStateError,
  type Emit,
  type Operator,
  type OperatorState,
  type PipelineEvent,
} from './operator';

export interface ThrottleSettings {
  readonly key: string;
  readonly rate: number;
  readonly interval_ms: number;
}

/** Windows before the newest seen whose counts are kept. */
export const KEPT_WINDOWS = 4;
const VERSION = 1;

export class ThrottleOperator implements Operator {
  readonly kind = 'throttle';
  private readonly key: Expression;
  /** key → window index → events passed. */
  private counts = new Map<string, Map<number, number>>();
  /** The newest window index seen (by events or by time); null before the first. */
  private newest: number | null = null;

  constructor(private readonly settings: ThrottleSettings) {
    this.key = compileExpression(settings.key);
  }

  process(event: PipelineEvent, emit: Emit): void {
    const res = this.key.evaluate(event.context());
    if (!res.ok) {
      emit('err', event.failed(`throttle key: ${res.error}`));
      return;
    }
    if (res.value !== null && typeof res.value === 'object') {
      emit('err', event.failed('throttle key: the key must be a string, number, boolean or null'));
      return;
    }
    const window = Math.floor(event.meta.ingest_ts / this.settings.interval_ms);
    this.moveTo(window);
    if (window < this.floor()) {
      emit('overflow', event);
      return;
    }
    // Strings are most keys: tagged instead of serialized, so "1" and 1 stay different keys.
    const key = typeof res.value === 'string' ? `s${res.value}` : JSON.stringify(res.value);
    let windows = this.counts.get(key);
    const passed = windows?.get(window) ?? 0;
    if (passed >= this.settings.rate) {
      emit('overflow', event);
      return;
    }
    if (windows === undefined) {
      windows = new Map();
      this.counts.set(key, windows);
    }
    windows.set(window, passed + 1);
    emit('out', event);
  }

  advance(nowMs: number): void {
    this.moveTo(Math.floor(nowMs / this.settings.interval_ms));
  }

  snapshot(): OperatorState {
    const keys: Json[] = [...this.counts.keys()].sort().map((key) => {
      const windows = this.counts.get(key) as Map<number, number>;
      return [key, [...windows.entries()].sort((a, b) => a[0] - b[0])];
    });
    return { kind: this.kind, v: VERSION, newest: this.newest, keys };
  }

  restore(state: OperatorState): void {
    checkState(state, this.kind, VERSION);
    const bad = (what: string): never => {
      throw new OperatorStateError(this.kind, what);
    };
    const newest = state.newest;
    if (newest !== null && !Number.isSafeInteger(newest)) bad('newest is not an integer');
    const counts = new Map<string, Map<number, number>>();
    if (!Array.isArray(state.keys)) bad('keys is not a list');
    for (const item of state.keys as Json[]) {
      if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1]))
        bad('a key entry is malformed');
      const [key, windows] = item as [string, Json[]];
      const m = new Map<number, number>();
      for (const w of windows) {
        if (!Array.isArray(w) || !Number.isSafeInteger(w[0]) || !Number.isSafeInteger(w[1]))
          bad(`a window of ${key} is malformed`);
        m.set((w as number[])[0] as number, (w as number[])[1] as number);
      }
      counts.set(key, m);
    }
    this.newest = newest as number | null;
    this.counts = counts;
  }

  /** The oldest window whose counts are still exact. */
  private floor(): number {
    return this.newest === null ? -Infinity : this.newest - KEPT_WINDOWS;
  }

  private moveTo(window: number): void {
    if (this.newest !== null && window <= this.newest) return;
    this.newest = window;
    const floor = this.floor();
    for (const [key, windows] of this.counts) {
      for (const w of windows.keys()) if (w < floor) windows.delete(w);
      if (windows.size === 0) this.counts.delete(key);
    }
  }
}
