/**
 * The node log lines around one failover, to explain a slow one: JSON lines (pino's `time` in
 * ms, zap's `ts` as ISO text or seconds) inside a time window, shown relative to the kill, with
 * per-request lines left out and repeated messages counted instead of repeated.
 */

const NOISE = new Set(['incoming request', 'request completed']);
const SKIP_FIELDS = new Set([
  'level',
  'time',
  'ts',
  'pid',
  'hostname',
  'component',
  'msg',
  'caller',
  'reqId',
]);

function timeOf(line: Record<string, unknown>): number | null {
  const t = line.time ?? line.ts;
  if (typeof t === 'number') return t > 1e11 ? t : t * 1000;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function fields(line: Record<string, unknown>): string {
  return Object.entries(line)
    .filter(([k]) => !SKIP_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 300);
}

/**
 * Lines of `text` with a time in [fromMs, toMs] (epoch ms), formatted `+123 ms node level msg
 * fields`, times relative to `zeroMs`.
 */
export function excerpt(
  node: string,
  text: string,
  zeroMs: number,
  fromMs: number,
  toMs: number,
  keep: (msg: string, level: unknown) => boolean = () => true,
): { at: number; line: string }[] {
  const out: { at: number; line: string }[] = [];
  let previous = '';
  let repeats = 0;
  const flush = (): void => {
    const last = out.at(-1);
    if (repeats > 0 && last) last.line += ` (and ${repeats} more like it)`;
    repeats = 0;
  };
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue;
    }
    const at = timeOf(line);
    if (at === null || at < fromMs || at > toMs) continue;
    const msg = typeof line.msg === 'string' ? line.msg : '';
    if (NOISE.has(msg) || !keep(msg, line.level)) continue;
    const key = `${msg}|${fields(line)}`;
    if (key === previous) {
      repeats++;
      continue;
    }
    flush();
    previous = key;
    const level =
      typeof line.level === 'number' ? (PINO_LEVELS[line.level] ?? String(line.level)) : line.level;
    const rel = Math.round(at - zeroMs);
    out.push({
      at,
      line: `${rel >= 0 ? '+' : ''}${rel} ms ${node} ${String(level)} ${msg} ${fields(line)}`.trimEnd(),
    });
  }
  flush();
  return out;
}

/** The excerpts of several nodes merged in time order. */
export function mergedExcerpt(
  logs: readonly { node: string; text: string }[],
  zeroMs: number,
  fromMs: number,
  toMs: number,
  keep?: (msg: string, level: unknown) => boolean,
): string[] {
  return logs
    .flatMap((l) => excerpt(l.node, l.text, zeroMs, fromMs, toMs, keep))
    .sort((a, b) => a.at - b.at)
    .map((l) => l.line);
}
