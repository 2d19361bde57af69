/**
 * The in-memory twin of the Raft host's write-ahead log: it keeps exactly what a `Ready` asks to
 * persist, in the same order, so tests and the simulator restart nodes from what was "on disk".
 */
import type { Entry, HardState, PersistedState, Ready, Snapshot } from './types';

export class MemoryStorage {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  constructor(initial?: PersistedState) {
    if (initial) {
      this.hardState = initial.hardState;
      this.snapshot = initial.snapshot;
      this.entries = [...initial.entries];
    }
  }

  /** Step 2 of handling a `Ready`: snapshot, then entries (truncating a conflicting tail), then hard state. */
  persist(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>): void {
    if (rd.snapshot) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      // Stored entries are contiguous, so the truncation point is arithmetic, not a search.
      const after = this.entries[this.entries.length - 1]?.index ?? this.snapshot?.meta.index ?? 0;
      if (first.index > after + 1) {
        throw new Error(`invariant: persisting entry ${first.index} after ${after} leaves a gap`);
      }
      const base = this.entries[0]?.index ?? first.index;
      if (first.index < base) this.entries.length = 0;
      else if (first.index - base < this.entries.length) this.entries.length = first.index - base;
      for (const e of rd.entries) this.entries.push(e);
    }
    if (rd.hardState) this.hardState = rd.hardState;
  }

  /** The host compacted its log into `snapshot`: keep it and drop the entries it covers. */
  compact(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((e) => e.index > snapshot.meta.index);
  }

  load(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }
}
