/**
 * Every Redis key the event transport uses, and nowhere else are they spelled. A vnode's keys
 * share the hash tag `{FLOW/VNODE}`, so they sit in one Redis Cluster slot and one Lua script may
 * touch them all. (Ingest's append spans the vnodes of one request, so it needs one primary: the
 * transport runs on a single Redis, with a replica for failover, not on a sharded cluster.)
 *
 * Flow ids are `[A-Za-z0-9_-]` (CONTRACT §4), so they cannot contain the tag's braces or `/`.
 */
export interface VnodeKeys {
  /** The stream of entries (the hint store while the vnode has no owner). */
  readonly events: string;
  /** The epoch that holds the vnode: the fence every owner-side script checks. */
  readonly epoch: string;
  /** Events appended and not yet acknowledged (the backlog bound is checked against it). */
  readonly backlog: string;
  /** JSON `{ state, epoch }`: operator state as of the last acknowledgement. */
  readonly checkpoint: string;
  /** The last epoch whose owner handed the vnode off after its last acknowledgement. */
  readonly released: string;
}

export function vnodeKeys(flow: string, vnode: number): VnodeKeys {
  const tag = `tremor:{${flow}/${vnode}}`;
  return {
    events: `${tag}:events`,
    epoch: `${tag}:epoch`,
    backlog: `${tag}:backlog`,
    checkpoint: `${tag}:checkpoint`,
    released: `${tag}:released`,
  };
}

/** The consumer group of every vnode stream; its consumers are named by worker id. */
export const OWNER_GROUP = 'owners';
