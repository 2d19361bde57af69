/**
 * DynamoDbSnapshotStore against AWS's DynamoDB Local: the conformance suite (a fresh table per
 * test), then what only DynamoDB has: the table's life, chunk items, failed and racing saves, reads
 * overtaken by a save, and the client built from the environment.
 */
import {
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClientFromEnv } from '../../src/snapshot-store/dynamodb-client';
import {
  DEFAULT_CHUNK_BYTES,
  DynamoDbSnapshotStore,
  type DynamoDbSnapshotStoreOptions,
} from '../../src/snapshot-store/dynamodb-snapshot-store';
import { SnapshotTableMissingError } from '../../src/snapshot-store/errors';
import { describeSnapshotStoreConformance } from './conformance';
import {
  FAKE_CREDENTIALS,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../../local/src/dynamodb-local';
import { freePort } from '../../../local/src/free-port';
import { expectSameSnapshot, MB, snap } from './fixtures';

jest.setTimeout(30_000);

let local: DynamoDbLocal;
let client: DynamoDBClient;
let tableSeq = 0;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  client = local.client();
}, 90_000);

afterAll(async () => {
  await local?.stop();
});

/** A fresh table, created the way `--dynamodb-create-table` creates it. */
async function newTable(): Promise<string> {
  const table = `snapshots-${++tableSeq}`;
  const setup = new DynamoDbSnapshotStore({
    client,
    table,
    clusterName: 'setup',
    createTable: true,
  });
  await setup.latest();
  await setup.close();
  return table;
}

async function items(table: string, cluster: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `snapshot#${cluster}` } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

async function manifestOf(table: string, cluster: string): Promise<Record<string, AttributeValue>> {
  const out = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: `snapshot#${cluster}` }, sk: { S: 'manifest' } },
      ConsistentRead: true,
    }),
  );
  if (out.Item === undefined) throw new Error(`no manifest for ${cluster}`);
  return out.Item;
}

async function chunkKeyOf(table: string, cluster: string, seq: number): Promise<string> {
  const id = (await manifestOf(table, cluster)).snapshotId?.S;
  return `chunk#${id}#${String(seq).padStart(6, '0')}`;
}

describeSnapshotStoreConformance('DynamoDbSnapshotStore on DynamoDB Local', async () => {
  const table = await newTable();
  return {
    open: (cluster) => new DynamoDbSnapshotStore({ client, table, clusterName: cluster }),
    corruptLatest: async (cluster) => {
      const Key = {
        pk: { S: `snapshot#${cluster}` },
        sk: { S: await chunkKeyOf(table, cluster, 0) },
      };
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key, ConsistentRead: true }),
      );
      const data = out.Item?.data?.B;
      if (data === undefined || data.length === 0) throw new Error(`no chunk 0 for ${cluster}`);
      const damaged = new Uint8Array(data);
      damaged[0] = (damaged[0] ?? 0) ^ 1;
      await client.send(
        new PutItemCommand({ TableName: table, Item: { ...Key, data: { B: damaged } } }),
      );
    },
    storedUnits: async (cluster) => (await items(table, cluster)).length,
    unitsFor: (dataBytes) => 1 + Math.ceil(dataBytes / DEFAULT_CHUNK_BYTES),
    dispose: async () => {
      await client.send(new DeleteTableCommand({ TableName: table }));
    },
  };
});

describe('DynamoDbSnapshotStore on DynamoDB Local', () => {
  let table: string;
  let opened: DynamoDbSnapshotStore[];

  const open = (
    clusterName = 'c',
    extra: Partial<DynamoDbSnapshotStoreOptions> = {},
  ): DynamoDbSnapshotStore => {
    const store = new DynamoDbSnapshotStore({ client, table, clusterName, ...extra });
    opened.push(store);
    return store;
  };

  /** A client that runs `hook` before sending each command. */
  const hookedClient = (
    hook: (command: string, input: Record<string, unknown>) => Promise<void>,
  ): DynamoDBClient => {
    const c = local.client();
    c.middlewareStack.add(
      (next, context) => async (args) => {
        await hook(context.commandName ?? '', args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: 'testHook' },
    );
    return c;
  };
  const isManifestPut = (command: string, input: Record<string, unknown>): boolean =>
    command === 'PutItemCommand' && input.ConditionExpression !== undefined;

  beforeEach(async () => {
    table = await newTable();
    opened = [];
  });

  afterEach(async () => {
    for (const s of opened) await s.close();
    await client.send(new DeleteTableCommand({ TableName: table }));
  });

  it('a missing table without createTable is TREMOR_SNAPSHOT_TABLE_MISSING, naming the table', async () => {
    const store = open('c', { table: 'no-such-table' });
    for (const op of [() => store.latest(), () => store.save(snap(1))]) {
      const err: unknown = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SnapshotTableMissingError);
      expect(err).toMatchObject({ code: 'TREMOR_SNAPSHOT_TABLE_MISSING', table: 'no-such-table' });
      expect((err as Error).message).toContain('"no-such-table"');
    }
  });

  it('createTable makes a pk/sk PAY_PER_REQUEST table, also when two stores race to create it', async () => {
    const name = `created-${++tableSeq}`;
    const a = open('a', { table: name, createTable: true });
    const b = open('b', { table: name, createTable: true });
    expect(await Promise.all([a.save(snap(1)), b.save(snap(2))])).toEqual([true, true]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(await open('a', { table: name }).latest()).toEqual(snap(1));
    await client.send(new DeleteTableCommand({ TableName: name }));
  });

  it('writes 2 MB as a manifest and chunk items of at most 300 KiB each', async () => {
    const s = snap(3, 2, 2 * MB);
    await open().save(s);
    const all = await items(table, 'c');
    const chunks = all.filter((i) => i.sk?.S?.startsWith('chunk#'));
    expect(all).toHaveLength(1 + chunks.length);
    expect(chunks).toHaveLength(7);
    for (const c of chunks) expect(c.data?.B?.length).toBeLessThanOrEqual(300 * 1024);
    const m = await manifestOf(table, 'c');
    expect(m).toMatchObject({
      index: { N: '3' },
      term: { N: '2' },
      byteLength: { N: String(2 * MB) },
      chunkCount: { N: '7' },
      voters: { L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }] },
    });
    expect(m.sha256?.S).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a save whose manifest write fails is never read; the next save collects its chunks', async () => {
    await open().save(snap(1, 1, 100));
    const failing = hookedClient((command, input) =>
      isManifestPut(command, input) ? Promise.reject(new Error('network down')) : Promise.resolve(),
    );
    const torn = open('c', { client: failing });
    await expect(torn.save(snap(2, 1, MB))).rejects.toMatchObject({
      code: 'TREMOR_SNAPSHOT_STORE_UNAVAILABLE',
    });
    // Its four chunks stay (the outcome was unknown) but the old manifest still rules.
    expect(await items(table, 'c')).toHaveLength(1 + 1 + 4);
    expect(await open().latest()).toEqual(snap(1, 1, 100));
    expect(await open().save(snap(3, 1, 100))).toBe(true);
    expect(await items(table, 'c')).toHaveLength(2);
  });

  it('a save overtaken by a newer one resolves false and deletes the chunks it wrote', async () => {
    const winner = open();
    let raced = false;
    const slow = hookedClient(async (command) => {
      // After its check of the manifest, before its chunks: the newer save runs entirely here.
      if (command === 'PutItemCommand' && !raced) {
        raced = true;
        expect(await winner.save(snap(20, 1, 100))).toBe(true);
      }
    });
    expect(await open('c', { client: slow }).save(snap(10, 1, MB))).toBe(false);
    expect(raced).toBe(true);
    expect(await open().latest()).toEqual(snap(20, 1, 100));
    expect(await items(table, 'c')).toHaveLength(2);
  });

  it('collection leaves alone the chunks of a higher save still in progress', async () => {
    const lower = open();
    let raced = false;
    const slow = hookedClient(async (command, input) => {
      if (isManifestPut(command, input) && !raced) {
        raced = true;
        expect(await lower.save(snap(5, 1, 100))).toBe(true);
      }
    });
    const higher = snap(10, 1, MB);
    expect(await open('c', { client: slow }).save(higher)).toBe(true);
    expect(raced).toBe(true);
    expectSameSnapshot(await open().latest(), higher);
    expect(await items(table, 'c')).toHaveLength(1 + 4);
  });

  it('a read overtaken by a save that collects its chunks starts over and returns the newer one', async () => {
    await open().save(snap(1, 1, MB));
    const writer = open();
    let raced = false;
    const reader = hookedClient(async (command) => {
      if (command === 'QueryCommand' && !raced) {
        raced = true;
        expect(await writer.save(snap(2, 1, 500 * 1024))).toBe(true);
      }
    });
    expectSameSnapshot(await open('c', { client: reader }).latest(), snap(2, 1, 500 * 1024));
    expect(raced).toBe(true);
  });

  it('a save at or below the manifest index writes nothing', async () => {
    await open().save(snap(5, 1, MB));
    const commands: string[] = [];
    const counting = hookedClient((command) => {
      commands.push(command);
      return Promise.resolve();
    });
    const store = open('c', { client: counting });
    expect(await store.save(snap(5, 1, MB))).toBe(false);
    expect(await store.save(snap(4, 1, MB))).toBe(false);
    expect(commands).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  it('a missing chunk item is reported as corrupt, naming it', async () => {
    await open().save(snap(1, 1, MB));
    const sk = await chunkKeyOf(table, 'c', 2);
    await client.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'snapshot#c' }, sk: { S: sk } } }),
    );
    await expect(open().latest()).rejects.toMatchObject({
      code: 'TREMOR_SNAPSHOT_CORRUPT',
      location: `dynamodb:${table}/snapshot#c/${sk}`,
    });
  });

  it('a malformed manifest is reported as corrupt, by latest and by save', async () => {
    await open().save(snap(1));
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'snapshot#c' }, sk: { S: 'manifest' }, v: { N: '1' }, index: { N: '1' } },
      }),
    );
    const corrupt = {
      code: 'TREMOR_SNAPSHOT_CORRUPT',
      location: `dynamodb:${table}/snapshot#c/manifest`,
    };
    await expect(open().latest()).rejects.toMatchObject(corrupt);
    await expect(open().save(snap(2))).rejects.toMatchObject(corrupt);
  });

  it('an unreachable endpoint is TREMOR_SNAPSHOT_STORE_UNAVAILABLE', async () => {
    const nowhere = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const store = open('c', { client: nowhere });
      const unavailable = { code: 'TREMOR_SNAPSHOT_STORE_UNAVAILABLE' };
      await expect(store.latest()).rejects.toMatchObject(unavailable);
      await expect(store.save(snap(1))).rejects.toMatchObject(unavailable);
      await expect(
        open('c', { client: nowhere, createTable: true }).latest(),
      ).rejects.toMatchObject(unavailable);
    } finally {
      nowhere.destroy();
    }
  });

  it('refuses a chunk size that could exceed the item limit', () => {
    expect(() => open('c', { chunkBytes: 400 * 1024 })).toThrow(RangeError);
    expect(() => open('c', { chunkBytes: 0 })).toThrow(RangeError);
  });
});

describe('dynamoDbClientFromEnv', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_DYNAMODB and defaults the region to us-east-1', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoint;
    process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
    const c = dynamoDbClientFromEnv({ maxAttempts: 1 });
    try {
      expect(await c.config.region()).toBe('us-east-1');
      await expect(c.send(new ListTablesCommand({}))).resolves.toBeDefined();
    } finally {
      c.destroy();
    }
  });

  it('takes the endpoint from AWS_ENDPOINT_URL and the region from AWS_REGION', async () => {
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL = local.endpoint;
    process.env.AWS_REGION = 'eu-west-1';
    const c = dynamoDbClientFromEnv({ maxAttempts: 1, credentials: FAKE_CREDENTIALS });
    try {
      expect(await c.config.region()).toBe('eu-west-1');
      await expect(c.send(new ListTablesCommand({}))).resolves.toBeDefined();
    } finally {
      c.destroy();
    }
  });
});
