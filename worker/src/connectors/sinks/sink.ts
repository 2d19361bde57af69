/**
 * Where a flow's events leave the cluster. `write` resolves only once the batch is as durable as
 * the sink can make it (a file is synced, a Redis XADD answered, an HTTP POST acknowledged): the
 * worker acknowledges the events on the vnode's stream after that, never before, so a crash
 * between the two repeats the batch (at least once) instead of losing it.
 */
import type { Json } from '../../flows/expressions/cel-values';

export interface Sink {
  readonly id: string;
  write(events: readonly Json[]): Promise<void>;
  close(): Promise<void>;
}

/** Events as NDJSON: one JSON document per line, each line ended. */
export function ndjson(events: readonly Json[]): string {
  let text = '';
  for (const e of events) text += `${JSON.stringify(e)}\n`;
  return text;
}
