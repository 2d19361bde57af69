/**
 * Snapshots in a DynamoDB table that any number of clusters may share.
 *
 * Table: partition key `pk` (String), sort key `sk` (String), no indexes; PAY_PER_REQUEST when
 * this store creates it. The items of cluster C all live under pk = `snapshot#C`:
 *
 *   sk = `manifest`  names the latest snapshot: v (format, 1), snapshotId, index, term, voters and
 *                    learners (lists of strings), byteLength, chunkCount, sha256 (hex, of the data)
 *   sk = `chunk#<snapshotId>#<seq>`  data (Binary): bytes [seq × chunkBytes, …) of that snapshot;
 *                    snapshotId = `<index, 16 digits>#<uuid>`, seq = 6 digits, so a cluster's chunks
 *                    sort by snapshot index, then by position
 *
 * Save: (1) a consistent read of the manifest ends the save if it holds an equal or higher index;
 * (2) every chunk is put under a new snapshot id; (3) the manifest is put last, on condition that
 * there is none or it holds a lower index, so the manifest names only snapshots whose chunks are all
 * written and never moves backwards, however many coordinators race. A failed condition means a
 * newer snapshot won: the chunks just written are deleted and the save resolves false. (4) Chunks of
 * the cluster at or below the new index that the manifest does not name are deleted: the
 * superseded snapshot and orphans of failed saves. Chunks above it may belong to a save still in
 * progress and are left alone; any save at or below the manifest's index must fail its condition.
 *
 * Read: a consistent read of the manifest, then a consistent Query of its chunks, verified by
 * sequence, length and sha256. If they do not match, the manifest is read again: if it changed, a
 * newer save collected the chunks meanwhile and the read starts over; if not, the snapshot is corrupt.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Snapshot } from '../raft/types';
import { sha256Hex } from './checksum';
import {
  SnapshotCorruptError,
  SnapshotStoreError,
  SnapshotTableMissingError,
  unavailable,
} from './errors';
import { assertSnapshotShape, type SnapshotStore } from './snapshot-store';
import { StoreLifecycle } from './store-lifecycle';

/** 300 KiB of data plus keys stays well under DynamoDB's 400 KB item limit. */
export const DEFAULT_CHUNK_BYTES = 300 * 1024;
const MAX_CHUNK_BYTES = 350 * 1024;
const MANIFEST_SK = 'manifest';
const FORMAT_VERSION = 1;
const INDEX_DIGITS = 16;
const SEQ_DIGITS = 6;
/** Requests in flight per save or collection: enough to overlap round trips, few enough to not throttle. */
const CONCURRENCY = 4;
const MAX_READ_ATTEMPTS = 5;

export interface DynamoDbSnapshotStoreOptions {
  /** Built by the caller; it owns endpoint, region and credentials, and destroys it. */
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly clusterName: string;
  /** Create the table if missing (PAY_PER_REQUEST) and wait until ACTIVE: `--dynamodb-create-table`. */
  readonly createTable?: boolean;
  /** Snapshot bytes per chunk item; at most 350 KiB. */
  readonly chunkBytes?: number;
  /** How long to wait for a created table to become ACTIVE. */
  readonly tableActiveTimeoutSeconds?: number;
}

interface Manifest {
  readonly snapshotId: string;
  readonly index: number;
  readonly term: number;
  readonly voters: string[];
  readonly learners: string[];
  readonly byteLength: number;
  readonly chunkCount: number;
  readonly sha256: string;
}

type ChunkRead =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly sk: string; readonly reason: string };

export class DynamoDbSnapshotStore implements SnapshotStore {
  readonly table: string;
  readonly clusterName: string;
  private readonly client: DynamoDBClient;
  private readonly pk: string;
  private readonly chunkBytes: number;
  private readonly createTable: boolean;
  private readonly tableActiveTimeoutSeconds: number;
  private readonly lifecycle: StoreLifecycle;
  private tableReady: Promise<void> | null = null;

  constructor(options: DynamoDbSnapshotStoreOptions) {
    if (options.clusterName === '') throw new TypeError('the cluster name must not be empty');
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new RangeError(`chunkBytes must be an integer in 1..${MAX_CHUNK_BYTES}`);
    }
    this.client = options.client;
    this.table = options.table;
    this.clusterName = options.clusterName;
    this.pk = `snapshot#${options.clusterName}`;
    this.chunkBytes = chunkBytes;
    this.createTable = options.createTable ?? false;
    this.tableActiveTimeoutSeconds = options.tableActiveTimeoutSeconds ?? 120;
    this.lifecycle = new StoreLifecycle(
      `DynamoDB snapshot store on table ${this.table} (cluster ${this.clusterName})`,
    );
  }

  save(snapshot: Snapshot): Promise<boolean> {
    return this.lifecycle.run(() => {
      assertSnapshotShape(snapshot);
      return this.saveNow(snapshot);
    });
  }

  latest(): Promise<Snapshot | null> {
    return this.lifecycle.run(() => this.readLatest());
  }

  /** Does not destroy the client: the caller built it and may share it. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private async saveNow(snapshot: Snapshot): Promise<boolean> {
    await this.ready();
    const { index, term, conf } = snapshot.meta;
    const current = await this.readManifest();
    if (current !== null && current.index >= index) return false;

    const snapshotId = `${String(index).padStart(INDEX_DIGITS, '0')}#${randomUUID()}`;
    const chunkCount = Math.ceil(snapshot.data.length / this.chunkBytes);
    const chunkKeys = Array.from({ length: chunkCount }, (_, seq) => chunkKey(snapshotId, seq));
    try {
      await forEachLimited(chunkKeys, CONCURRENCY, async (sk, seq) => {
        const start = seq * this.chunkBytes;
        const data = snapshot.data.subarray(start, start + this.chunkBytes);
        await this.send('writing a snapshot chunk', () =>
          this.client.send(
            new PutItemCommand({
              TableName: this.table,
              Item: { pk: { S: this.pk }, sk: { S: sk }, data: { B: data } },
            }),
          ),
        );
      });
    } catch (err) {
      // No manifest names these chunks, so deleting them cannot hurt a reader.
      await this.deleteQuietly(chunkKeys);
      throw err;
    }

    try {
      // The manifest goes last and only forward: see the file header. DynamoDB acknowledges a
      // write once it is durable on several storage nodes, so resolving after this is durable.
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: this.pk },
            sk: { S: MANIFEST_SK },
            v: { N: String(FORMAT_VERSION) },
            snapshotId: { S: snapshotId },
            index: { N: String(index) },
            term: { N: String(term) },
            voters: { L: conf.voters.map((S) => ({ S })) },
            learners: { L: conf.learners.map((S) => ({ S })) },
            byteLength: { N: String(snapshot.data.length) },
            chunkCount: { N: String(chunkCount) },
            sha256: { S: sha256Hex(snapshot.data) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #index < :index',
          ExpressionAttributeNames: { '#index': 'index' },
          ExpressionAttributeValues: { ':index': { N: String(index) } },
        }),
      );
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') {
        await this.deleteQuietly(chunkKeys);
        return false;
      }
      // The outcome is unknown (the put may have landed before a timeout), so the chunks stay; if
      // they are orphans, the next successful save collects them.
      throw this.mapError('writing the snapshot manifest', err);
    }

    try {
      await this.collectGarbage(index, snapshotId);
    } catch {
      // The snapshot is saved; whatever is left here the next successful save collects.
    }
    return true;
  }

  private async readLatest(): Promise<Snapshot | null> {
    await this.ready();
    for (let attempt = 1; attempt <= MAX_READ_ATTEMPTS; attempt++) {
      const manifest = await this.readManifest();
      if (manifest === null) return null;
      const read = await this.readChunks(manifest);
      if (read.ok) {
        const { index, term, voters, learners } = manifest;
        return { meta: { index, term, conf: { voters, learners } }, data: read.data };
      }
      const again = await this.readManifest();
      if (again?.snapshotId === manifest.snapshotId) {
        throw new SnapshotCorruptError(this.location(read.sk), read.reason);
      }
    }
    throw new SnapshotStoreError(
      'TREMOR_SNAPSHOT_STORE_UNAVAILABLE',
      `the latest snapshot in ${this.location(MANIFEST_SK)} changed on each of ${MAX_READ_ATTEMPTS} reads`,
    );
  }

  private async readManifest(): Promise<Manifest | null> {
    const out = await this.send('reading the snapshot manifest', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: MANIFEST_SK } },
          ConsistentRead: true,
        }),
      ),
    );
    if (out.Item === undefined) return null;
    const manifest = parseManifest(out.Item);
    if (typeof manifest === 'string') {
      throw new SnapshotCorruptError(this.location(MANIFEST_SK), manifest);
    }
    return manifest;
  }

  private async readChunks(m: Manifest): Promise<ChunkRead> {
    const data = new Uint8Array(m.byteLength);
    let seq = 0;
    let offset = 0;
    if (m.chunkCount > 0) {
      const prefix = `chunk#${m.snapshotId}#`;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.send('reading snapshot chunks', () =>
          this.client.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': { S: this.pk }, ':prefix': { S: prefix } },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          const expected = chunkKey(m.snapshotId, seq);
          const bytes = item.data?.B;
          if (item.sk?.S !== expected) {
            return { ok: false, sk: expected, reason: `chunk ${seq} is missing` };
          }
          if (bytes === undefined || offset + bytes.length > m.byteLength) {
            return { ok: false, sk: expected, reason: `chunk ${seq} has no data or too much` };
          }
          data.set(bytes, offset);
          offset += bytes.length;
          seq += 1;
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    if (seq !== m.chunkCount || offset !== m.byteLength) {
      return {
        ok: false,
        sk: MANIFEST_SK,
        reason: `found ${seq} of ${m.chunkCount} chunks, ${offset} of ${m.byteLength} bytes`,
      };
    }
    if (sha256Hex(data) !== m.sha256) {
      return { ok: false, sk: MANIFEST_SK, reason: 'sha256 of the chunks does not match' };
    }
    return { ok: true, data };
  }

  /** Deletes chunks at or below `index` that are not `keep`'s: see step (4) in the file header. */
  private async collectGarbage(index: number, keep: string): Promise<void> {
    const doomed: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.send('listing snapshot chunks', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
            ExpressionAttributeValues: {
              ':pk': { S: this.pk },
              ':lo': { S: 'chunk#' },
              // '~' sorts after every character of a snapshot id's uuid and sequence number.
              ':hi': { S: `chunk#${String(index).padStart(INDEX_DIGITS, '0')}#~` },
            },
            ProjectionExpression: 'sk',
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const sk = item.sk?.S;
        if (sk !== undefined && !sk.startsWith(`chunk#${keep}#`)) doomed.push(sk);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    await forEachLimited(doomed, CONCURRENCY, (sk) => this.deleteChunk(sk));
  }

  private async deleteQuietly(keys: readonly string[]): Promise<void> {
    try {
      await forEachLimited(keys, CONCURRENCY, (sk) => this.deleteChunk(sk));
    } catch {
      // Orphans at or below the manifest's index; the next successful save collects them.
    }
  }

  private async deleteChunk(sk: string): Promise<void> {
    await this.send('deleting a snapshot chunk', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: sk } },
        }),
      ),
    );
  }

  private ready(): Promise<void> {
    if (!this.createTable) return Promise.resolve();
    this.tableReady ??= this.ensureTable().catch((err: unknown) => {
      this.tableReady = null;
      throw err;
    });
    return this.tableReady;
  }

  private async ensureTable(): Promise<void> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: this.table }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') {
        throw this.mapError('describing the table', err);
      }
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName: this.table,
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (createErr) {
        // Another coordinator created it at the same moment: wait for it like for our own.
        if (errorName(createErr) !== 'ResourceInUseException') {
          throw this.mapError('creating the table', createErr);
        }
      }
    }
    try {
      await waitUntilTableExists(
        {
          client: this.client,
          maxWaitTime: this.tableActiveTimeoutSeconds,
          minDelay: 1,
          maxDelay: 5,
        },
        { TableName: this.table },
      );
    } catch (err) {
      throw unavailable(`waiting for DynamoDB table ${this.table} to become ACTIVE`, err);
    }
  }

  private async send<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.mapError(what, err);
    }
  }

  private mapError(what: string, err: unknown): SnapshotStoreError {
    if (errorName(err) === 'ResourceNotFoundException') {
      return new SnapshotTableMissingError(this.table, err);
    }
    return unavailable(`${what} in DynamoDB table ${this.table}`, err);
  }

  private location(sk: string): string {
    return `dynamodb:${this.table}/${this.pk}/${sk}`;
  }
}

function chunkKey(snapshotId: string, seq: number): string {
  return `chunk#${snapshotId}#${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** The manifest, or why it is malformed. */
function parseManifest(item: Record<string, AttributeValue>): Manifest | string {
  const num = (name: string): number | undefined => {
    const n = item[name]?.N;
    const v = n === undefined ? NaN : Number(n);
    return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  };
  const strings = (name: string): string[] | undefined => {
    const list = item[name]?.L;
    if (list === undefined) return undefined;
    const out: string[] = [];
    for (const v of list) {
      if (v.S === undefined) return undefined;
      out.push(v.S);
    }
    return out;
  };
  if (num('v') !== FORMAT_VERSION) return `unknown manifest format ${String(item.v?.N)}`;
  const snapshotId = item.snapshotId?.S;
  const sha256 = item.sha256?.S;
  const index = num('index');
  const term = num('term');
  const byteLength = num('byteLength');
  const chunkCount = num('chunkCount');
  const voters = strings('voters');
  const learners = strings('learners');
  if (
    snapshotId === undefined ||
    sha256 === undefined ||
    index === undefined ||
    term === undefined ||
    byteLength === undefined ||
    chunkCount === undefined ||
    voters === undefined ||
    learners === undefined
  ) {
    return 'manifest fields are missing or malformed';
  }
  return { snapshotId, index, term, voters, learners, byteLength, chunkCount, sha256 };
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. After a failure no new item starts; it rejects
 * with the first failure once every started call has settled, so a caller cleaning up after it does
 * not race writes still in flight.
 */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
