/**
 * The few file-system moves durability rests on. A rename or a new file is only durable once its
 * directory is fsynced (the directory entry is separate metadata from the file's data).
 */
import { open, rename, type FileHandle } from 'node:fs/promises';

/** `FileHandle.write` may write less than asked; a partial record on disk would read as torn. */
export async function writeFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `path` so that after a crash it either holds all of `data` or does not exist: the data
 * goes to a temporary file, is fsynced, and only then is renamed into place.
 */
export async function writeFileAtomically(
  dir: string,
  name: string,
  data: Uint8Array,
): Promise<void> {
  const tmp = `${dir}/${name}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await writeFully(fh, data, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, `${dir}/${name}`);
  await fsyncDir(dir);
}
