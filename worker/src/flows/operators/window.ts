/**
 * `window: { key, size_ms, aggregate: { NAME: "count" | "sum(EXPR)" | "min(EXPR)" | "max(EXPR)" |
 * "avg(EXPR)" } }`: tumbling windows `[k*size_ms, (k+1)*size_ms)` of `meta.ingest_ts`, per key.
 *
 * A window closes when time passes its end: `advance(nowMs)`, called by the runner's timer with
 * the vnode's notion of event time, so a window is emitted even when no further event arrives.
 * On closing it emits `{ key, window_start, window_end, NAME: value, ... }` on `out`, windows in
 * order of start, then key. An event for a window that has already closed goes to `err` (it
 * came later than the runner's grace); an event whose key or aggregate expression fails, or gives
 * a non-number to sum/min/max/avg, goes to `err` and counts in no aggregate.
 */
import { parseAggregate, type Aggregate } from '../../../../control-plane/src/flow-spec';
import type { Json } from '../expressions/cel-values';
import { compileExpression, type Expression } from '../expressions/expression';
import {
  OperatorStateError,
  PipelineEvent,
  checkState,
  type Emit,
  type Operator,
  type OperatorState,
} from './operator';

export interface WindowSettings {
  readonly key: string;
  readonly size_ms: number;
  readonly aggregate: Readonly<Record<string, string>>;
}

interface CompiledAggregate {
  readonly name: string;
  readonly fn: Aggregate['fn'];
  readonly expression: Expression | null;
}

/** Per aggregate: sum, min, max of the values seen (count is the window's). */
type Acc = [sum: number, min: number | null, max: number | null];

interface OpenWindow {
  readonly keyValue: Json;
  readonly index: number;
  /** Meta of the window's first event: vnode, worker and flow of the output. */
  readonly meta: PipelineEvent['meta'];
  count: number;
  readonly accs: Acc[];
}

const VERSION = 1;

export class WindowOperator implements Operator {
  readonly kind = 'window';
  private readonly key: Expression;
  private readonly aggregates: CompiledAggregate[];
  /** `${index}|${key}` → open window. */
  private open = new Map<string, OpenWindow>();
  /** Every window that ends at or before this has been emitted. */
  private closedUntil = -Infinity;

  constructor(private readonly settings: WindowSettings) {
    this.key = compileExpression(settings.key);
    this.aggregates = Object.entries(settings.aggregate).map(([name, text]) => {
      const agg = parseAggregate(text);
      if (agg === undefined)
        throw new Error(`window aggregate ${name}: "${text}" is not an aggregate`);
      return {
        name,
        fn: agg.fn,
        expression: agg.fn === 'count' ? null : compileExpression(agg.expression),
      };
    });
  }

  process(event: PipelineEvent, emit: Emit): void {
    const size = this.settings.size_ms;
    const index = Math.floor(event.meta.ingest_ts / size);
    if ((index + 1) * size <= this.closedUntil) {
      emit('err', event.failed('window: the event is for a window that has already closed'));
      return;
    }
    const ctx = event.context();
    const key = this.key.evaluate(ctx);
    if (!key.ok) {
      emit('err', event.failed(`window key: ${key.error}`));
      return;
    }
    if (key.value !== null && typeof key.value === 'object') {
      emit('err', event.failed('window key: the key must be a string, number, boolean or null'));
      return;
    }
    // Every aggregate first, so that a failing one leaves all of them untouched.
    const values: (number | null)[] = [];
    for (const a of this.aggregates) {
      if (a.expression === null) {
        values.push(null);
        continue;
      }
      const v = a.expression.evaluate(ctx);
      if (!v.ok) {
        emit('err', event.failed(`window ${a.name}: ${v.error}`));
        return;
      }
      if (typeof v.value !== 'number') {
        emit(
          'err',
          event.failed(`window ${a.name}: ${a.fn} needs a number, got ${JSON.stringify(v.value)}`),
        );
        return;
      }
      values.push(v.value);
    }
    const id = `${index}|${JSON.stringify(key.value)}`;
    let w = this.open.get(id);
    if (w === undefined) {
      w = {
        keyValue: key.value,
        index,
        meta: event.meta,
        count: 0,
        accs: this.aggregates.map(() => [0, null, null]),
      };
      this.open.set(id, w);
    }
    w.count++;
    values.forEach((v, i) => {
      const acc = w.accs[i] as Acc;
      if (v === null) return;
      acc[0] += v;
      acc[1] = acc[1] === null ? v : Math.min(acc[1], v);
      acc[2] = acc[2] === null ? v : Math.max(acc[2], v);
    });
  }

  advance(nowMs: number, emit: Emit): void {
    if (nowMs <= this.closedUntil) return;
    this.closedUntil = nowMs;
    const size = this.settings.size_ms;
    const closing = [...this.open.entries()]
      .filter(([, w]) => (w.index + 1) * size <= nowMs)
      .sort(([a, x], [b, y]) => x.index - y.index || (a < b ? -1 : a > b ? 1 : 0));
    for (const [id, w] of closing) {
      this.open.delete(id);
      emit('out', this.output(w));
    }
  }

  snapshot(): OperatorState {
    const windows: Json[] = [...this.open.keys()].sort().map((id) => {
      const w = this.open.get(id) as OpenWindow;
      return [w.keyValue, w.index, { ...w.meta }, w.count, w.accs];
    });
    return {
      kind: this.kind,
      v: VERSION,
      closedUntil: Number.isFinite(this.closedUntil) ? this.closedUntil : null,
      windows,
    };
  }

  restore(state: OperatorState): void {
    checkState(state, this.kind, VERSION);
    const bad = (what: string): never => {
      throw new OperatorStateError(this.kind, what);
    };
    const closedUntil = state.closedUntil;
    if (closedUntil !== null && typeof closedUntil !== 'number') bad('closedUntil is not a number');
    if (!Array.isArray(state.windows)) bad('windows is not a list');
    const open = new Map<string, OpenWindow>();
    for (const item of state.windows as Json[]) {
      if (!Array.isArray(item) || item.length !== 5) bad('a window entry is malformed');
      const [keyValue, index, meta, count, accs] = item as [
        Json,
        number,
        PipelineEvent['meta'],
        number,
        Acc[],
      ];
      if (
        !Number.isSafeInteger(index) ||
        !Number.isSafeInteger(count) ||
        !Array.isArray(accs) ||
        accs.length !== this.aggregates.length
      ) {
        bad('a window entry is malformed');
      }
      open.set(`${index}|${JSON.stringify(keyValue)}`, { keyValue, index, meta, count, accs });
    }
    this.closedUntil = closedUntil === null ? -Infinity : (closedUntil as number);
    this.open = open;
  }

  private output(w: OpenWindow): PipelineEvent {
    const size = this.settings.size_ms;
    const data: Record<string, Json> = {
      key: w.keyValue,
      window_start: w.index * size,
      window_end: (w.index + 1) * size,
    };
    this.aggregates.forEach((a, i) => {
      const [sum, min, max] = w.accs[i] as Acc;
      data[a.name] =
        a.fn === 'count'
          ? w.count
          : a.fn === 'sum'
            ? sum
            : a.fn === 'min'
              ? min
              : a.fn === 'max'
                ? max
                : sum / w.count;
    });
    return new PipelineEvent(data, { ...w.meta, ingest_ts: (w.index + 1) * size });
  }
}
