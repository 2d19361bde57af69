/**
 * Progress of `flow apply --wait`. A person at a terminal gets one line redrawn in place (a
 * spinner shows the command is alive even while the count stands still); a pipe or a CI log gets
 * a plain line each time the count changes, since carriage returns and escapes only litter a file.
 */
import type { TextOutput } from './context';

/** Back to the start of the line, and erase to its end. */
export const REWRITE_LINE = '\r\x1b[K';
export const SPINNER = ['|', '/', '-', '\\'] as const;

export interface WaitProgress {
  update(ready: number, total: number, elapsedMs: number): void;
  /** Takes the redrawn line away, so that what follows starts on a clean line. */
  clear(): void;
}

export function waitProgress(out: TextOutput, flowId: string): WaitProgress {
  const text = (ready: number, total: number, elapsedMs: number): string =>
    `flow ${flowId}: ${ready}/${total} workers running (${seconds(elapsedMs)})`;
  if (out.isTTY === true) {
    let frame = 0;
    let drawn = false;
    return {
      update(ready, total, elapsedMs) {
        const spinner = SPINNER[frame++ % SPINNER.length] ?? '';
        out.write(`${REWRITE_LINE}${spinner} ${text(ready, total, elapsedMs)}`);
        drawn = true;
      },
      clear() {
        if (drawn) out.write(REWRITE_LINE);
        drawn = false;
      },
    };
  }
  let last = '';
  return {
    update(ready, total, elapsedMs) {
      const count = `${ready}/${total}`;
      if (count === last) return;
      last = count;
      out.write(`${text(ready, total, elapsedMs)}\n`);
    },
    clear() {},
  };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
