/**
 * Keeps a standalone node's in-process events across a graceful restart: on stop, the image of
 * the memory transport (what is not yet acknowledged, checkpoints, epochs) is written to the data
 * dir; on start it is read back and the file removed. Removed, because from then on the memory is
 * the truth: reading the same image after a later crash would deliver its events a second time.
 *
 * A crash (kill -9, power loss) still loses what was in memory; that is the in-process
 * transport's limit, and why a cluster, or a standalone node given `--redis-url`, uses Redis.
 *
 * JSON, not MessagePack: the events came in as JSON and go out as JSON, so JSON keeps every one
 * exactly as it was (a `__proto__` key included, which JSON.parse keeps as an own property).
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { MemoryTransport, type MemoryTransportImage } from './memory-transport';

export const EVENTS_FILE = 'standalone-events.json';

/** The transport saved in `dataDir`, or an empty one; the file is gone once this resolves. */
export async function loadMemoryTransport(dataDir: string): Promise<{
  readonly transport: MemoryTransport;
  /** Events read back from the file. */
  readonly restored: number;
}> {
  const file = path.join(dataDir, EVENTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { transport: new MemoryTransport(), restored: 0 };
    }
    throw err;
  }
  const image = JSON.parse(text) as MemoryTransportImage;
  if (image.format !== 1) {
    throw new Error(`${file}: unknown format ${String(image.format)}; remove it or upgrade`);
  }
  const transport = MemoryTransport.fromImage(image);
  await rm(file);
  return { transport, restored: eventsIn(image) };
}

/** Writes the transport's image to `dataDir`, durably: temporary file, fsync, rename. */
export async function saveMemoryTransport(
  transport: MemoryTransport,
  dataDir: string,
): Promise<number> {
  const image = transport.image();
  const file = path.join(dataDir, EVENTS_FILE);
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(image));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  // The rename is durable only once the directory is.
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return eventsIn(image);
}

function eventsIn(image: MemoryTransportImage): number {
  let events = 0;
  for (const s of Object.values(image.streams)) {
    for (const e of s.entries) events += e.records.length;
  }
  return events;
}
