import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IngestRecord } from '../../src/flows/ingest-record';
import { FencedError, type DeliveredEntry } from '../../src/transport/event-transport';
import { MemoryTransport } from '../../src/transport/memory/memory-transport';
import {
  EVENTS_FILE,
  loadMemoryTransport,
  saveMemoryTransport,
} from '../../src/transport/memory/memory-transport-file';

const rec = (vnode: number, n: number): IngestRecord => ({
  vnode,
  event: { n, ['__proto__']: 'kept' },
  ingest_ts: 1_000 + n,
});
const ns = (entries: readonly DeliveredEntry[]) =>
  entries.flatMap((e) => e.records.map((r) => (r.event as { n: number }).n));

describe('saving the memory transport across a graceful restart', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tremor-memfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what was not acknowledged, in order, with the checkpoint; nothing acknowledged comes back', async () => {
    const before = new MemoryTransport();
    for (let n = 1; n <= 6; n++) await before.append('f', [rec(0, n)]);
    await before.append('f', [rec(1, 100), rec(1, 101)]);
    const lease = await before.acquire('f', 0, 'w', 3);
    const first = await lease.read(2, 0); // 1, 2: acknowledged
    await lease.commit(first.entries, { throttled: 2 });
    const second = await lease.read(2, 0); // 3, 4: read, never acknowledged
    expect(ns(second.entries)).toEqual([3, 4]);
    await before.close();

    expect(await saveMemoryTransport(before, dir)).toBe(6);
    const { transport: after, restored } = await loadMemoryTransport(dir);
    expect(restored).toBe(6);
    expect(existsSync(path.join(dir, EVENTS_FILE))).toBe(false);

    expect(await after.backlog('f', 0)).toBe(4);
    expect(await after.backlog('f', 1)).toBe(2);
    // The restarted worker takes the vnode at the epoch it had.
    const again = await after.acquire('f', 0, 'w', 3);
    expect(again.checkpoint).toEqual({ state: { throttled: 2 }, epoch: 3 });
    await after.append('f', [rec(0, 7)]);
    const read = await again.read(100, 0);
    expect(ns(read.entries)).toEqual([3, 4, 5, 6, 7]);
    expect(read.entries[0]?.records[0]?.event).toEqual({ n: 3, ['__proto__']: 'kept' });
    await again.commit(read.entries, { throttled: 7 });
    expect(await after.backlog('f', 0)).toBe(0);
    // Epochs are kept: an older owner is still fenced out.
    await expect(after.acquire('f', 0, 'old', 2)).rejects.toBeInstanceOf(FencedError);
    await after.close();
  });

  it('starts empty when nothing was saved, and refuses an image of an unknown format', async () => {
    const { transport, restored } = await loadMemoryTransport(dir);
    expect(restored).toBe(0);
    expect(await transport.backlog('f', 0)).toBe(0);
    await writeFile(path.join(dir, EVENTS_FILE), JSON.stringify({ format: 2, streams: {} }));
    await expect(loadMemoryTransport(dir)).rejects.toThrow(
      /standalone-events\.json: unknown format 2/,
    );
    // Left in place for the operator to look at.
    expect(existsSync(path.join(dir, EVENTS_FILE))).toBe(true);
  });
});
