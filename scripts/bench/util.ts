/**
 * Small helpers shared by the benchmarks: HTTP probes, waiting, percentiles, the version measured,
 * and replacing one section of BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface HttpAnswer {
  /** 0 when the request failed before an answer (refused, reset, timed out). */
  status: number;
  body: unknown;
}

/** One JSON request with a timeout; never throws. */
export async function httpJson(
  url: string,
  method: string,
  body?: unknown,
  timeoutMs = 1000,
): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}

/** Polls `probe` every `everyMs` until it returns something other than null. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? NaN;
}

export function progress(system: string, line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[${t}] ${system}: ${line}`);
}

const ROOT = path.resolve(__dirname, '..', '..');

/** `version (short sha)` of the code measured; the version alone outside a git checkout. */
export function ourVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return `${pkg.version} (${sha})`;
  } catch {
    return pkg.version;
  }
}

/**
 * Writes `text` as the section of `file` that starts with `heading` (up to the next `## `),
 * replacing it when present, appending it otherwise; the rest of the file is left as it is.
 */
export function replaceSection(file: string, heading: string, text: string, intro: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : intro;
  const start = current.indexOf(heading);
  let updated: string;
  if (start < 0) {
    updated = `${current.trimEnd()}\n\n${text}`;
  } else {
    const next = current.indexOf('\n## ', start + heading.length);
    updated = current.slice(0, start) + text + (next < 0 ? '' : `\n${current.slice(next + 1)}`);
  }
  writeFileSync(file, updated);
}
