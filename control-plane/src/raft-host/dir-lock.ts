/**
 * `<dir>/LOCK`: created with O_EXCL and holding the owner's pid, so two processes (or two opens in
 * one process) never append to the same log; two writers would interleave records and break the
 * promise each makes about what is durable.
 *
 * A lock whose pid is no longer alive was left by a crash and is taken over. Limits: a pid reused by
 * an unrelated process keeps a stale lock looking alive (remove LOCK by hand), and two processes
 * taking over the same stale lock at the same instant could both succeed, as could one reading a
 * lock another has created but not yet written its pid to; each needs a crashed owner and a racing
 * restart, which a supervisor that starts one coordinator per directory does not do.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StorageLockedError } from './errors';

export interface DirLock {
  release(): Promise<void>;
}

export async function lockDir(dir: string): Promise<DirLock> {
  const file = path.join(dir, 'LOCK');
  for (let attempt = 0; ; attempt++) {
    if (await createLockFile(file)) return { release: () => unlink(file) };
    const pid = await lockOwner(file);
    if (pid !== null && isAlive(pid)) throw new StorageLockedError(dir, pid);
    if (attempt > 0) throw new Error(`could not take over the stale lock file ${file}`);
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** False when the file already exists. */
async function createLockFile(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(`${process.pid}\n`);
  } finally {
    await fh.close();
  }
  return true;
}

/** Null when the file is unreadable as a pid: a crash between create and write left it empty. */
async function lockOwner(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
