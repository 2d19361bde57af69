/**
 * An event as a source accepted it: placed on a vnode and stamped with `ingest_ts` once, at
 * acceptance. This is what travels from the source to the vnode's pipeline (through the event
 * transport, whichever worker owns the vnode), so the stamp and the placement never change on the
 * way, also when the event is replayed after a failure.
 */
import type { Json } from './expressions/cel-values';
import { PipelineEvent } from './operators/operator';

export interface IngestRecord {
  readonly vnode: number;
  readonly event: Json;
  readonly ingest_ts: number;
  /** Set when the distribution key failed: the pipeline sends the event to `err`. */
  readonly error?: string;
}

/** The record as its vnode's pipeline sees it, on worker `worker`. */
export function toPipelineEvent(record: IngestRecord, flow: string, worker: string): PipelineEvent {
  return new PipelineEvent(
    record.event,
    { vnode: record.vnode, worker, flow, ingest_ts: record.ingest_ts },
    record.error,
  );
}
