/**
 * Which vnode an event goes to (CONTRACT §4 `distribution`), decided once by the source instance
 * that accepts it. `hash`: `hash32(key) mod vnodes`, so every event of a key meets the same
 * pipeline instance wherever it entered; `round-robin`: each source instance deals its events over
 * all vnodes in turn.
 *
 * A key expression that fails on an event does not refuse the event (the rest of its request
 * would be refused with it): the event goes to vnode 0 marked with the reason, and that vnode's
 * pipeline puts it on port `err`, where every failed expression goes.
 */
import type { Distribution } from '../../../control-plane/src/flow-spec/schema';
import type { Json } from './expressions/cel-values';
import { compileExpression, type EventMeta } from './expressions/expression';
import { hash32 } from '../../../control-plane/src/hash/murmur3';
import { PipelineEvent } from './operators/operator';

export interface Placement {
  readonly vnode: number;
  /** Why the key could not be computed; the event then goes to `err`. */
  readonly error?: string;
}

/** What the key sees of `meta`: everything but the vnode, which is what it decides (-1). */
export type SourceMeta = Omit<EventMeta, 'vnode'>;

export interface Distributor {
  place(event: Json, meta: SourceMeta): Placement;
}

export function buildDistributor(spec: Distribution | undefined, vnodes: number): Distributor {
  if (!Number.isInteger(vnodes) || vnodes < 1) {
    throw new RangeError(`the vnode count must be a positive integer, not ${vnodes}`);
  }
  if (spec === undefined || spec.strategy === 'round-robin') return roundRobin(vnodes);
  return hashed(spec.key, vnodes);
}

function roundRobin(vnodes: number): Distributor {
  let next = 0;
  return {
    place() {
      const vnode = next;
      next = (next + 1) % vnodes;
      return { vnode };
    },
  };
}

function hashed(keySource: string, vnodes: number): Distributor {
  const key = compileExpression(keySource);
  return {
    place(event, meta) {
      const res = key.evaluate(new PipelineEvent(event, { ...meta, vnode: -1 }).context());
      if (!res.ok) return { vnode: 0, error: `distribution key: ${res.error}` };
      return { vnode: hash32(keyText(res.value)) % vnodes };
    },
  };
}

/** A string key hashes as itself (what a user computing a vnode by hand expects); others as JSON. */
export function keyText(key: Json): string {
  return typeof key === 'string' ? key : JSON.stringify(key);
}
