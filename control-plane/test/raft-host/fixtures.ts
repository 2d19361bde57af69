/** Builders for storage tests, and the file-backed storage in a temp dir that is removed after. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Entry, EntryType, HardState, PersistedState, Snapshot } from '../../src/raft/types';
import { MemoryRaftStorage } from '../../src/raft-host/memory-raft-storage';
import type { RaftStorage } from '../../src/raft-host/storage';
import { FileRaftStorage, type FileRaftStorageOptions } from '../../src/raft-host/wal';

/** Entries `from..to` of `term`; each one's data names it, so a mix-up shows in a diff. */
export function ents(from: number, to: number, term: number, type: EntryType = 'normal'): Entry[] {
  const out: Entry[] = [];
  for (let index = from; index <= to; index++) {
    out.push({ index, term, type, data: new TextEncoder().encode(`${index}@${term}`) });
  }
  return out;
}

export function hard(term: number, vote: string | null, commit: number): HardState {
  return { term, vote, commit };
}

export function snap(index: number, term: number, voters = ['a', 'b', 'c']): Snapshot {
  return {
    meta: { index, term, conf: { voters, learners: ['l'] } },
    data: new TextEncoder().encode(`state@${index}`),
  };
}

export const EMPTY: PersistedState = { hardState: hard(0, null, 0), snapshot: null, entries: [] };

/** A storage under test and what a restart of its process means for it. */
export interface StorageUnderTest {
  readonly storage: RaftStorage;
  /** Close and open again from what was made durable, as after a process restart. */
  restart(): Promise<void>;
  /** Close and remove anything the storage left behind. */
  dispose(): Promise<void>;
}

export type StorageFactory = () => Promise<StorageUnderTest>;

export const memoryStorage: StorageFactory = () => {
  let storage = new MemoryRaftStorage();
  return Promise.resolve({
    get storage() {
      return storage;
    },
    async restart() {
      storage = new MemoryRaftStorage(await storage.load());
    },
    dispose: () => storage.close(),
  });
};

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'raft-storage-'));
}

export function fileStorage(options: FileRaftStorageOptions = {}): StorageFactory {
  return async () => {
    const dir = await tempDir();
    let storage = await FileRaftStorage.open(dir, options);
    return {
      get storage() {
        return storage;
      },
      async restart() {
        await storage.close();
        storage = await FileRaftStorage.open(dir, options);
      },
      async dispose() {
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}
