/**
 * `--profile DIR`: the workers' CPU profiles of the max-load window; this prints where it went, by
 * function (self time) and by module (our files under dist/, each package under node_modules/,
 * Node's internals), summed over the workers' profiles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

function moduleOf(url: string, fn: string): string {
  if (url === '') return `(${fn || 'native'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  if (url.startsWith('node:')) return 'node:internals';
  return url;
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
}

export function summarizeProfiles(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    addInclusive(p, inclusive);
    for (const n of p.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const mod = moduleOf(url, functionName);
      const fn = `${functionName || '(anonymous)'} ${mod}:${lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
      byModule.set(mod, (byModule.get(mod) ?? 0) + hits);
      total += hits;
    }
  }
  console.log(`\nworker CPU profiles (${files.length} files in ${dir}), share of samples:`);
  console.log('by module:');
  for (const l of top(byModule, total, 20)) console.log(`  ${l}`);
  console.log('by function (self):');
  for (const l of top(byFunction, total, 40)) console.log(`  ${l}`);
  console.log("our functions, with what they call (synchronous part; an async function's");
  console.log('continuations after each await are counted where they resume):');
  for (const l of top(inclusive, total, 30)) console.log(`  ${l}`);
}

/** Samples under each of our functions (dist/), callees included, once per stack. */
function addInclusive(p: CpuProfile, into: Map<string, number>): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const walk = (id: number, onStack: ReadonlySet<string>): number => {
    const n = byId.get(id);
    if (n === undefined) return 0;
    const { functionName, url, lineNumber } = n.callFrame;
    const ours = url.includes('/dist/');
    const key = `${functionName || '(anonymous)'} ${moduleOf(url, functionName)}:${lineNumber + 1}`;
    const counted = ours && !onStack.has(key);
    const stack = counted ? new Set([...onStack, key]) : onStack;
    let hits = n.hitCount ?? 0;
    for (const c of n.children ?? []) hits += walk(c, stack);
    if (counted) into.set(key, (into.get(key) ?? 0) + hits);
    return hits;
  };
  const root = p.nodes[0];
  if (root !== undefined) walk(root.id, new Set());
}
