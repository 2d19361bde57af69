/**
 * docs/errors.md and the registry list the same codes with the same statuses and meanings, and
 * every `TREMOR_*` code literal in the sources is registered.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ERROR_REGISTRY, errorCodes, isErrorCode } from '../../src/errors';
import { SERVER_FLAGS } from '../../../cli/server-flags';

const ROOT = path.resolve(__dirname, '../../..');
/** A table row `| \`CODE\` | status | meaning |`, padded or not (Prettier aligns the table). */
const ROW = /^\|\s*`(TREMOR_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|$/;

interface DocRow {
  readonly code: string;
  readonly status: number;
  readonly meaning: string;
}

function docRows(): DocRow[] {
  const text = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
  return text
    .split('\n')
    .map((line) => ROW.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ code: m[1] ?? '', status: Number(m[2]), meaning: m[3] ?? '' }));
}

/** The table as it should read, printed on failure so it can be pasted into the docs. */
function expectedTable(): string {
  return errorCodes()
    .map(
      (code) =>
        `| \`${code}\` | ${ERROR_REGISTRY[code].status} | ${ERROR_REGISTRY[code].meaning} |`,
    )
    .join('\n');
}

describe('docs/errors.md', () => {
  it('lists every registered code once, with its status and meaning, and nothing else', () => {
    const rows = docRows();
    const documented = rows.map((r) => r.code);
    expect(new Set(documented).size).toBe(documented.length);
    const registered = errorCodes();
    const missingFromDocs = registered.filter((c) => !documented.includes(c));
    const unknownInDocs = documented.filter((c) => !isErrorCode(c));
    const differing = rows
      .filter((r) => isErrorCode(r.code))
      .filter((r) => {
        const entry = ERROR_REGISTRY[r.code as keyof typeof ERROR_REGISTRY];
        return entry.status !== r.status || entry.meaning !== r.meaning;
      })
      .map((r) => r.code);
    const problems = { missingFromDocs, unknownInDocs, differing };
    if (missingFromDocs.length + unknownInDocs.length + differing.length > 0) {
      throw new Error(
        `docs/errors.md and the registry differ: ${JSON.stringify(problems)}\nexpected table:\n${expectedTable()}`,
      );
    }
  });

  it('explains the error shape', () => {
    const text = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    expect(text).toContain('"error"');
    expect(text).toContain('details');
  });
});

/**
 * Environment variable names (`TREMOR_` + a flag in upper snake case, CONTRACT §2) are not error
 * codes; the CLI spells them out. They come from the CLI's own flag table, plus the `--api` of the
 * client commands.
 */
const ENVIRONMENT_NAMES = new Set([...SERVER_FLAGS.map((f) => f.env), 'TREMOR_API']);

/** A whole string literal (or a backquoted name in a comment) that is a TREMOR_ code. */
const CODE_LITERAL = /(['"`])(TREMOR_[A-Z0-9_]+)\1/g;

function sourceFiles(dir: string): string[] {
  let found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found; // a folder not written yet
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found = found.concat(sourceFiles(full));
    else if (/\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

describe('the error registry', () => {
  it('registers every TREMOR_ code literal in the sources', () => {
    const files = ['control-plane/src', 'cli', 'worker'].flatMap((dir) =>
      sourceFiles(path.join(ROOT, dir)),
    );
    expect(files.length).toBeGreaterThan(0);
    const unregistered = new Map<string, string>();
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(CODE_LITERAL)) {
        const code = match[2] ?? '';
        if (ENVIRONMENT_NAMES.has(code)) continue;
        seen += 1;
        if (!isErrorCode(code) && !unregistered.has(code)) {
          unregistered.set(code, path.relative(ROOT, file));
        }
      }
    }
    expect(seen).toBeGreaterThan(20);
    expect(Object.fromEntries(unregistered)).toEqual({});
  });

  it('gives every code an HTTP error status and a meaning', () => {
    for (const code of errorCodes()) {
      const entry = ERROR_REGISTRY[code];
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.meaning).not.toMatch(/\||\n/);
      expect(entry.meaning.length).toBeGreaterThan(10);
    }
  });
});
