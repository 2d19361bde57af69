/**
 * The vnode assignment as a picture: one character per vnode naming its owner by a letter, so
 * that balance, holes and moves show at a glance where a list of 64 (or 1024) rows would not.
 */
import type { VnodeView, WorkerView } from './api-types';

export const VNODES_PER_LINE = 64;
export const UNASSIGNED = '.';
const SYMBOLS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Past 62 owners letters run out; the rest share one mark (the workers table has their counts). */
const OTHER = '*';

/**
 * Lines of the picture (each starting with the number of its first vnode), the legend, and the
 * total backlog when the node asked knows it (only the leader receives the workers' reports).
 */
export function renderVnodeMap(
  vnodeCount: number,
  vnodes: readonly VnodeView[],
  workers: readonly WorkerView[],
  /** Where to ask when this node does not know the backlog. */
  leaderApi: string | null = null,
): string {
  const size = Math.max(vnodeCount, ...vnodes.map((v) => v.vnode + 1));
  const symbols = symbolsOf(vnodes, workers);
  const cells = new Array<string>(size).fill(UNASSIGNED);
  const owned = new Map<string, number>();
  for (const v of vnodes) {
    if (v.owner === null) continue;
    cells[v.vnode] = symbols.get(v.owner) ?? OTHER;
    owned.set(v.owner, (owned.get(v.owner) ?? 0) + 1);
  }
  const numberWidth = String(Math.max(0, size - 1)).length;
  const lines: string[] = [];
  for (let start = 0; start < size; start += VNODES_PER_LINE) {
    const row = cells.slice(start, start + VNODES_PER_LINE).join('');
    lines.push(`  ${String(start).padStart(numberWidth)}  ${row}`);
  }
  lines.push('');
  for (const [owner, symbol] of symbols) {
    lines.push(`  ${symbol} = ${owner} (${owned.get(owner) ?? 0})`);
  }
  const others = [...owned.keys()].filter((o) => !symbols.has(o));
  if (others.length > 0) {
    const count = others.reduce((n, o) => n + (owned.get(o) ?? 0), 0);
    lines.push(`  ${OTHER} = ${others.length} more workers (${count})`);
  }
  const unassigned = cells.filter((c) => c === UNASSIGNED).length;
  if (unassigned > 0) lines.push(`  ${UNASSIGNED} = unassigned (${unassigned})`);
  const backlog = backlogLine(vnodes, leaderApi);
  if (backlog !== null) lines.push('', backlog);
  return lines.map((l) => `${l}\n`).join('');
}

/** Owners in the order of the workers table, then owners the cluster view does not list. */
function symbolsOf(
  vnodes: readonly VnodeView[],
  workers: readonly WorkerView[],
): Map<string, string> {
  const owners = new Set<string>();
  const owning = new Set(vnodes.map((v) => v.owner));
  for (const w of workers) if (owning.has(w.id)) owners.add(w.id);
  for (const v of vnodes) if (v.owner !== null) owners.add(v.owner);
  const symbols = new Map<string, string>();
  for (const owner of owners) {
    const symbol = SYMBOLS[symbols.size];
    if (symbol === undefined) break;
    symbols.set(owner, symbol);
  }
  return symbols;
}

function backlogLine(vnodes: readonly VnodeView[], leaderApi: string | null): string | null {
  const assigned = vnodes.filter((v) => v.owner !== null);
  if (assigned.length === 0) return null;
  const known = assigned.filter((v) => v.backlog !== null);
  // Workers report their backlog to the leader only, with their heartbeats.
  if (known.length === 0) {
    const leader = leaderApi === null ? 'the leader' : `the leader (--api ${leaderApi})`;
    return `backlog: not known by this node; ${leader} has it once the workers have reported`;
  }
  const total = known.reduce((n, v) => n + (v.backlog ?? 0), 0);
  const missing = assigned.length - known.length;
  const events = `${total} ${total === 1 ? 'event' : 'events'} waiting`;
  return missing === 0
    ? `backlog: ${events}`
    : `backlog: ${events} (${missing} vnodes not reported)`;
}
