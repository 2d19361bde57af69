/**
 * What both sides move: the events the load sends, the keys that spread them evenly over the
 * vnodes, and the event each side writes to its output stream (the same fields on both sides).
 *
 * The vnode of a key is computed here as the contract says it (`hash32(key) mod vnodes`, with the
 * project's murmur3), so the benchmark knows where every event goes without asking the cluster; the
 * flow also writes `meta.vnode` into the output, and the two are compared.
 */
import { hash32 } from '../../../control-plane/src/hash/murmur3';

export const FLOW_ID = 'bench';
export const SOURCE_ID = 'in';
/** Our sink's stream and the baseline's output stream. */
export const OUT_STREAM = 'out:bench';
export const BASELINE_OUT_STREAM = 'out:baseline';
/** The baseline's input streams and consumer group (the group has our transport's name). */
export const baselineStream = (vnode: number): string => `baseline:{${vnode}}:events`;
export const BASELINE_GROUP = 'owners';

export interface BenchEvent {
  readonly id: number;
  readonly key: string;
  /** The client's clock (ms) when the request or producer round was built. */
  readonly sent: number;
  readonly pad: string;
}

/** What reaches the output stream, on both sides. */
export interface OutEvent {
  readonly id: number;
  readonly key: string;
  readonly sent: number;
  readonly ingest_ts: number;
  readonly vnode: number;
  readonly worker: string;
}

/** Our flow's one operator: keeps what the measurements need (the baseline does the same in JS). */
export const MAP_EXPRESSION =
  '{"id": event.id, "key": event.key, "sent": event.sent, "ingest_ts": meta.ingest_ts, ' +
  '"vnode": meta.vnode, "worker": meta.worker}';

export function flowSpec(): unknown {
  return {
    id: FLOW_ID,
    sources: [{ id: SOURCE_ID, kind: 'http' }],
    distribution: { strategy: 'hash', key: 'event.key' },
    pipeline: [{ map: MAP_EXPRESSION }],
    sinks: [{ id: 'out', kind: 'redis-stream', config: { stream: OUT_STREAM } }],
  };
}

export function vnodeOf(key: string, vnodes: number): number {
  return hash32(key) % vnodes;
}

/**
 * `perVnode` keys for every vnode, interleaved (vnode 0's first key, vnode 1's first, ...), so
 * consecutive event ids cycle over all vnodes and every batch spreads evenly.
 */
export function balancedKeys(vnodes: number, perVnode = 8): string[] {
  const byVnode: string[][] = Array.from({ length: vnodes }, () => []);
  for (let i = 0, filled = 0; filled < vnodes; i++) {
    const key = `k${i}`;
    const bucket = byVnode[vnodeOf(key, vnodes)] as string[];
    if (bucket.length >= perVnode) continue;
    bucket.push(key);
    if (bucket.length === perVnode) filled++;
  }
  const keys: string[] = [];
  for (let j = 0; j < perVnode; j++) for (const bucket of byVnode) keys.push(bucket[j] as string);
  return keys;
}

export class EventMaker {
  private readonly pad: string;

  constructor(
    private readonly keys: readonly string[],
    padBytes: number,
  ) {
    this.pad = 'x'.repeat(padBytes);
  }

  /**
   * The same events as `batch`, straight as the JSON text of the request body: the load tool
   * shares the 2 cores with the system it measures, so it builds bodies by concatenation
   * (several times cheaper than objects and JSON.stringify). Keys and pad need no escaping.
   */
  json(first: number, n: number, sent = Date.now()): string {
    const tail = `,"sent":${sent},"pad":"${this.pad}"}`;
    let body = '[';
    for (let i = 0; i < n; i++) {
      const id = first + i;
      body += `${i === 0 ? '' : ','}{"id":${id},"key":"${this.keys[id % this.keys.length] as string}"${tail}`;
    }
    return body + ']';
  }

  /** `n` events with ids `first`, `first + 1`, ..., all stamped `sent` (default: now). */
  batch(first: number, n: number, sent = Date.now()): BenchEvent[] {
    const out: BenchEvent[] = new Array<BenchEvent>(n);
    for (let i = 0; i < n; i++) {
      const id = first + i;
      out[i] = { id, key: this.keys[id % this.keys.length] as string, sent, pad: this.pad };
    }
    return out;
  }
}
