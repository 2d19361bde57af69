/**
 * Typed failures of the snapshot stores. Each carries a stable `code` so callers and tests branch on
 * codes, not messages; `SNAPSHOT_STORE_ERROR_CODES` is what the project's error registry takes over.
 */

export type SnapshotStoreErrorCode =
  | 'TREMOR_SNAPSHOT_STORE_UNAVAILABLE'
  | 'TREMOR_SNAPSHOT_CORRUPT'
  | 'TREMOR_SNAPSHOT_TABLE_MISSING'
  | 'TREMOR_SNAPSHOT_STORE_CLOSED';

/** Every code with the HTTP status it maps to and its meaning in one line. */
export const SNAPSHOT_STORE_ERROR_CODES: {
  readonly [C in SnapshotStoreErrorCode]: { readonly httpStatus: number; readonly meaning: string };
} = {
  TREMOR_SNAPSHOT_STORE_UNAVAILABLE: {
    httpStatus: 503,
    meaning:
      'the snapshot store (DynamoDB or disk) failed or could not be reached; nothing was saved',
  },
  TREMOR_SNAPSHOT_CORRUPT: {
    httpStatus: 500,
    meaning: 'the latest stored snapshot fails verification (checksum, framing or missing chunks)',
  },
  TREMOR_SNAPSHOT_TABLE_MISSING: {
    httpStatus: 500,
    meaning: 'the DynamoDB snapshot table does not exist and --dynamodb-create-table is off',
  },
  TREMOR_SNAPSHOT_STORE_CLOSED: {
    httpStatus: 503,
    meaning: 'the snapshot store was used after close()',
  },
};

export class SnapshotStoreError extends Error {
  constructor(
    readonly code: SnapshotStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SnapshotStoreError';
  }
}

/**
 * The latest snapshot cannot be trusted. Never answered with an older snapshot instead: that would
 * hide the damage, and an operator has to decide what to restore from.
 */
export class SnapshotCorruptError extends SnapshotStoreError {
  constructor(
    /** The file, item or record at fault, e.g. `/data/snapshots/c.0000000000000042.snap`. */
    readonly location: string,
    readonly reason: string,
  ) {
    super('TREMOR_SNAPSHOT_CORRUPT', `corrupt snapshot in ${location}: ${reason}`);
    this.name = 'SnapshotCorruptError';
  }
}

export class SnapshotTableMissingError extends SnapshotStoreError {
  constructor(
    readonly table: string,
    cause?: unknown,
  ) {
    super(
      'TREMOR_SNAPSHOT_TABLE_MISSING',
      `DynamoDB table "${table}" does not exist; create it or start with --dynamodb-create-table`,
      { cause },
    );
    this.name = 'SnapshotTableMissingError';
  }
}

export function unavailable(what: string, cause: unknown): SnapshotStoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SnapshotStoreError('TREMOR_SNAPSHOT_STORE_UNAVAILABLE', `${what}: ${detail}`, {
    cause,
  });
}
