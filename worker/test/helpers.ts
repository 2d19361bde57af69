/** What the worker suites share: waiting on a condition, and a real Redis per suite. */
import Redis from 'ioredis';
import { startRedis, type RedisOptions, type RedisServer } from '../../local/src/redis-server';

/** Polls `check` until it holds; fails after 20 s naming `what` (a generous bound for hangs). */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SuiteRedis {
  server: RedisServer;
  client: Redis;
}

/** A redis-server started before the suite's tests and stopped after them, with a client. */
export function suiteRedis(options: RedisOptions = {}): SuiteRedis {
  const fixture = {} as SuiteRedis;
  beforeAll(async () => {
    fixture.server = await startRedis(options);
    fixture.client = new Redis(fixture.server.url);
  });
  afterAll(async () => {
    await fixture.client.quit();
    await fixture.server.stop();
  });
  return fixture;
}
