/**
 * Pending ReadIndex requests on a leader (thesis §6.4): each records the commit index when it
 * arrived and which voters have since confirmed this node is still their leader. Requests are
 * confirmed in arrival order: an acknowledgement for a later request confirms earlier ones too,
 * since the heartbeat that carried it was sent after theirs.
 */
import type { NodeId, ReadState } from './types';

interface PendingRead {
  readonly index: number;
  readonly context: string;
  readonly acks: Map<NodeId, boolean>;
}

export class ReadIndexQueue {
  private queue: PendingRead[] = [];

  add(index: number, context: string, self: NodeId): void {
    this.queue.push({ index, context, acks: new Map([[self, true]]) });
  }

  /** Records `from`'s confirmation of `context`; returns its acknowledgements, if still pending. */
  ack(from: NodeId, context: string): ReadonlyMap<NodeId, boolean> | undefined {
    const read = this.queue.find((r) => r.context === context);
    if (read === undefined) return undefined;
    read.acks.set(from, true);
    return read.acks;
  }

  /** Removes and returns every request up to and including `context`. */
  releaseThrough(context: string): ReadState[] {
    const at = this.queue.findIndex((r) => r.context === context);
    if (at < 0) return [];
    return this.queue.splice(0, at + 1).map((r) => ({ index: r.index, context: r.context }));
  }

  /** The round of the newest pending request, which periodic heartbeats carry until confirmed. */
  lastRound(): string | undefined {
    return this.queue[this.queue.length - 1]?.context;
  }

  reset(): void {
    this.queue = [];
  }
}
