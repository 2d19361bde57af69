/**
 * Typed failures of the Raft host's storage. Each carries a stable `code` so callers and tests
 * branch on codes, not messages; they move into the project's error registry once it exists.
 */

/** A record or file that cannot be trusted: starting from it could forget a vote or an entry. */
export class WalCorruptionError extends Error {
  readonly code = 'RAFT_WAL_CORRUPT';

  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`corrupt Raft storage in ${file} at byte offset ${offset}: ${reason}`);
    this.name = 'WalCorruptionError';
  }
}

/** Another live process holds the storage directory. */
export class StorageLockedError extends Error {
  readonly code = 'RAFT_STORAGE_LOCKED';

  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`Raft storage directory ${dir} is locked by running process ${pid}`);
    this.name = 'StorageLockedError';
  }
}

/**
 * A write or sync failed earlier. After a failed fsync the kernel may have dropped the dirty pages
 * and the next fsync can report success (PostgreSQL's "fsyncgate"), so the storage refuses all
 * further work instead of acknowledging anything it cannot vouch for.
 */
export class StorageFailedError extends Error {
  readonly code = 'RAFT_STORAGE_FAILED';

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`Raft storage in ${dir} failed earlier and accepts no more work`, { cause });
    this.name = 'StorageFailedError';
  }
}
