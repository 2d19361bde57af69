/**
 * What a leader knows of each follower's log (etcd-io/raft's Progress): how far it matches, what
 * to send next, and how much may be in flight. `probe` sends one append at a time until a match is
 * found; `replicate` pipelines up to the in-flight limit; `snapshot` waits for a snapshot install.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last indexes of append messages not yet acknowledged. */
export class Inflights {
  private readonly buf: number[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  get count(): number {
    return this.buf.length - this.start;
  }

  full(): boolean {
    return this.count >= this.capacity;
  }

  add(lastIndex: number): void {
    this.buf.push(lastIndex);
  }

  /** Frees every message whose last index is at or below `index`. */
  freeLE(index: number): void {
    while (this.start < this.buf.length && (this.buf[this.start] ?? Infinity) <= index)
      this.start++;
    if (this.start > 1024 && this.start * 2 > this.buf.length) {
      this.buf.splice(0, this.start);
      this.start = 0;
    }
  }

  freeFirst(): void {
    if (this.count > 0) this.start++;
  }

  reset(): void {
    this.buf.length = 0;
    this.start = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In `snapshot`: the index of the snapshot being installed. */
  pendingSnapshot = 0;
  /** Ticks spent in `snapshot` without an answer; the leader retries after an election timeout. */
  snapshotTicks = 0;
  /** In `probe`: an append is out and unanswered, so wait (one at a time until a match is known). */
  probeSent = false;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    // After a snapshot, the follower has at least the snapshot: probe right after it.
    const floor = this.state === 'snapshot' ? this.pendingSnapshot : 0;
    this.reset('probe');
    this.next = Math.max(this.match + 1, floor + 1);
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
  }

  /** A follower acknowledged up to `n`; returns false for a stale acknowledgement. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Records an append sent up to `last`: pipelined in `replicate`, one at a time in `probe`. */
  sentEntries(last: number, count: number): void {
    if (this.state === 'replicate' && count > 0) {
      this.next = last + 1;
      this.inflights.add(last);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A follower rejected an append whose previous index was `rejected`; `hint` is where the logs
   * may match. Returns false when the rejection is stale (answers an append sent before a match).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.inflights.reset();
  }
}
