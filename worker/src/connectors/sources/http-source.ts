/**
 * `http` source: the events of one ingest request (CONTRACT §3, already parsed from one object,
 * an array or NDJSON) become records, all stamped with the same `ingest_ts` (the moment of
 * acceptance, read once) and placed on their vnodes. All or nothing: one event that is not a JSON
 * object refuses the whole request before anything is placed, so a round-robin position or a
 * half-appended batch never depends on a request that failed.
 */
import { TremorError } from '../../../../control-plane/src/errors';
import type { Json } from '../../flows/expressions/cel-values';
import type { Distributor } from '../../flows/distribution';
import type { IngestRecord } from '../../flows/ingest-record';

export class HttpSource {
  constructor(
    readonly flow: string,
    readonly id: string,
    private readonly worker: string,
    private readonly distributor: Distributor,
  ) {}

  accept(events: readonly unknown[], nowMs: number): IngestRecord[] {
    events.forEach((e, i) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        throw new TremorError(
          'TREMOR_BODY_INVALID',
          `event ${i + 1} of ${events.length} is ${describe(e)}, not a JSON object; nothing was accepted`,
        );
      }
    });
    const meta = { worker: this.worker, flow: this.flow, ingest_ts: nowMs };
    return events.map((raw) => {
      const event = raw as Json;
      const placed = this.distributor.place(event, meta);
      return placed.error === undefined
        ? { vnode: placed.vnode, event, ingest_ts: nowMs }
        : { vnode: placed.vnode, event, ingest_ts: nowMs, error: placed.error };
    });
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
