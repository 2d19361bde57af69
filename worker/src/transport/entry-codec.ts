/**
 * One stream entry holds the records of one append for one vnode (events are batched into
 * entries, so a request of 1,000 events is a handful of XADDs, not 1,000). The entry is the JSON
 * array of `[event, ingest_ts]` or `[event, ingest_ts, error]` tuples: the vnode is the stream's.
 */
import type { Json } from '../flows/expressions/cel-values';
import type { IngestRecord } from '../flows/ingest-record';

type Tuple = [Json, number] | [Json, number, string];

export function encodeEntry(records: readonly IngestRecord[]): string {
  const tuples: Tuple[] = records.map((r) =>
    r.error === undefined ? [r.event, r.ingest_ts] : [r.event, r.ingest_ts, r.error],
  );
  return JSON.stringify(tuples);
}

export function decodeEntry(payload: string, vnode: number): IngestRecord[] {
  const tuples = JSON.parse(payload) as Tuple[];
  return tuples.map((t) =>
    t.length === 3
      ? { vnode, event: t[0], ingest_ts: t[1], error: t[2] }
      : { vnode, event: t[0], ingest_ts: t[1] },
  );
}

/** The records grouped by vnode, each group in the order given. */
export function byVnode(records: readonly IngestRecord[]): Map<number, IngestRecord[]> {
  const groups = new Map<number, IngestRecord[]>();
  for (const r of records) {
    const group = groups.get(r.vnode);
    if (group) group.push(r);
    else groups.set(r.vnode, [r]);
  }
  return groups;
}
