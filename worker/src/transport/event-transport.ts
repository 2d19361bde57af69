/**
 * How events travel from the source that accepted them to the owner of their vnode (DESIGN:
 * "Event transport"). One stream per (flow, vnode), whoever owns the vnode: the stream is also the
 * hint store, holding a vnode's events while it has no live owner.
 *
 * Two implementations behind this interface, one conformance suite for both: Redis streams for a
 * cluster, and in-process memory for a standalone node.
 *
 * The owner's side is a lease at an epoch (the vnode's epoch from the cluster state). Taking a
 * lease fences every older epoch out: from then on a former owner can neither read, acknowledge
 * nor checkpoint, even if it is cut off and does not know yet. The new owner gets the last
 * checkpoint and first reads the entries earlier owners read but never acknowledged (the replay),
 * then new ones, in append order.
 */
import { TremorError } from '../../../control-plane/src/errors';
import type { Json } from '../flows/expressions/cel-values';
import type { IngestRecord } from '../flows/ingest-record';

export interface EventTransport {
  /**
   * Appends the records to their vnodes' streams, all or nothing, durable once it resolves.
   * Rejects with TREMOR_BACKPRESSURE (nothing appended) when a target vnode's backlog is at its
   * bound.
   */
  append(flow: string, records: readonly IngestRecord[]): Promise<void>;
  /**
   * Takes vnode `vnode` of `flow` for `owner` at `epoch`. Rejects with FencedError when a newer
   * epoch holds it already. Taking it again at the same epoch (a restart) is allowed.
   *
   * `awaitReleaseMs` (a planned move: the former owner is alive): first waits up to that long for
   * the former owner to release the vnode after its last acknowledgement, so nothing it wrote is
   * replayed (no duplicates). Past the wait it takes the vnode anyway, fencing the former owner.
   */
  acquire(
    flow: string,
    vnode: number,
    owner: string,
    epoch: number,
    awaitReleaseMs?: number,
  ): Promise<VnodeLease>;
  /** Events appended to the vnode and not yet acknowledged. */
  backlog(flow: string, vnode: number): Promise<number>;
  /** Forgets a deleted flow's streams, checkpoints and counters. */
  dropFlow(flow: string, vnodeCount: number): Promise<void>;
  close(): Promise<void>;
}

/** Entries read by a lease: their ids (to acknowledge) and their records, in append order. */
export interface Delivery {
  readonly entries: readonly DeliveredEntry[];
}

export interface DeliveredEntry {
  readonly id: string;
  readonly records: readonly IngestRecord[];
}

export interface Checkpoint {
  /** The pipeline state after every acknowledged entry. */
  readonly state: Json;
  readonly epoch: number;
}

export interface VnodeLease {
  readonly flow: string;
  readonly vnode: number;
  readonly epoch: number;
  /** The state saved with the last acknowledgement, by any owner; null before the first. */
  readonly checkpoint: Checkpoint | null;
  /**
   * The next entries: first those earlier owners (or this one) read and did not acknowledge, then
   * new ones. Waits up to `waitMs` for new entries; an empty delivery when none came.
   */
  read(maxEntries: number, waitMs: number): Promise<Delivery>;
  /**
   * Acknowledges `entries` and saves `state` in one atomic step, only while this lease's epoch
   * holds the vnode (FencedError otherwise). `entries` may be empty: the state alone is saved
   * (windows closed by time).
   */
  commit(entries: readonly DeliveredEntry[], state: Json): Promise<void>;
  /**
   * A planned hand-off, after the last commit: tells the next owner it may start now. Does
   * nothing once a newer epoch holds the vnode.
   */
  release(): Promise<void>;
  /** Stops using the lease (the vnode moved away, or the worker stops); acknowledges nothing. */
  close(): void;
}

/** A newer epoch holds the vnode: this lease may no longer read, acknowledge or checkpoint. */
export class FencedError extends Error {
  constructor(
    readonly flow: string,
    readonly vnode: number,
    readonly epoch: number,
  ) {
    super(`vnode ${vnode} of flow ${flow} is held by a newer epoch than ${epoch}`);
    this.name = 'FencedError';
  }
}

/** Events appended to a vnode and not yet acknowledged beyond which ingest answers 503. */
export const DEFAULT_BACKLOG_BOUND = 1_000_000;

/** What every transport answers when a vnode's backlog is at its bound: nothing is appended. */
export function backpressure(flow: string, vnode: number, bound: number): TremorError {
  return new TremorError(
    'TREMOR_BACKPRESSURE',
    `vnode ${vnode} of flow ${flow} has ${bound} or more events waiting; nothing of this request was accepted, retry later`,
  );
}
