/**
 * The in-memory twin of `FileRaftStorage`: the core's `MemoryStorage` behind the asynchronous
 * `RaftStorage` interface, for tests and the simulator.
 */
import { MemoryStorage } from '../raft/memory-storage';
import type { PersistedState, Ready, Snapshot } from '../raft/types';
import { assertAppendable, type RaftStorage } from './storage';

export class MemoryRaftStorage implements RaftStorage {
  private readonly storage: MemoryStorage;

  constructor(initial?: PersistedState) {
    this.storage = new MemoryStorage(initial);
  }

  persist(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>): Promise<void> {
    return settle(() => {
      // A Ready's snapshot replaces the whole log, so the entries after it continue the snapshot.
      const { entries, snapshot } = this.storage;
      const lastIndex = rd.snapshot
        ? rd.snapshot.meta.index
        : (entries.at(-1)?.index ?? snapshot?.meta.index ?? 0);
      assertAppendable(rd.entries, lastIndex);
      this.storage.persist(rd);
    });
  }

  compact(snapshot: Snapshot): Promise<void> {
    return settle(() => this.storage.compact(snapshot));
  }

  load(): Promise<PersistedState> {
    return settle(() => this.storage.load());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs now, as the file storage would have by the time its promise settles; a throw rejects. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
