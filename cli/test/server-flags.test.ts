import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseText } from '../server-config';
import { LOG_LEVELS, SERVER_FLAGS, describeDefault, type FlagSpec } from '../server-flags';

const specs: readonly FlagSpec[] = SERVER_FLAGS;

describe('the flag table', () => {
  it.each(specs.map((s) => [s.flag, s] as const))(
    '%s is spelled consistently (flag, commander key, environment variable)',
    (_flag, spec) => {
      expect(spec.flag).toBe(`--${spec.name}`);
      expect(spec.key).toBe(spec.name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
      expect(spec.env).toBe(`TREMOR_${spec.name.toUpperCase().replace(/-/g, '_')}`);
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.roles.length).toBeGreaterThan(0);
      expect(spec.valueName === undefined).toBe(spec.type.kind === 'boolean');
    },
  );

  it('has no duplicate names, keys or environment variables', () => {
    for (const pick of [(s: FlagSpec) => s.name, (s: FlagSpec) => s.key, (s: FlagSpec) => s.env]) {
      const all = specs.map(pick);
      expect(new Set(all).size).toBe(all.length);
    }
  });

  it.each(specs.filter((s) => s.default.kind !== 'computed').map((s) => [s.flag, s] as const))(
    '%s has defaults that pass its own parser',
    (_flag, spec) => {
      const d = spec.default;
      const values =
        d.kind === 'value'
          ? [d.value]
          : d.kind === 'by-role'
            ? [d.standalone, d.coordinator, d.worker]
            : [];
      for (const v of values) {
        if (v === null) continue;
        const parsed = parseText(spec.type, String(v));
        expect(parsed).toEqual({ ok: true, value: v });
      }
    },
  );

  it('spells role-dependent and computed defaults for the help', () => {
    const redis = specs.find((s) => s.name === 'redis-url');
    expect(redis && describeDefault(redis)).toBe(
      'standalone: none; coordinator: none; worker: redis://127.0.0.1:6379',
    );
    const vnodes = specs.find((s) => s.name === 'no-of-vnodes');
    expect(vnodes && describeDefault(vnodes)).toBe('64');
  });

  it('has the two additions of our own with their defaults, not in the contract', () => {
    const extra = specs.filter((s) => !s.inContract).map((s) => [s.flag, s.default]);
    expect(extra).toEqual([
      ['--api-body-limit', { kind: 'value', value: 16 * 1024 * 1024 }],
      ['--snapshot-every', { kind: 'value', value: 10000 }],
    ]);
  });

  it("knows pino's levels", () => {
    expect([...LOG_LEVELS].sort()).toEqual([...Object.keys(pino.levels.values), 'silent'].sort());
  });
});

// CI checks the repository out with the shared documents beside it (../shared).
const contractPath = path.join(__dirname, '../../../shared/CONTRACT.md');
const contract = existsSync(contractPath) ? readFileSync(contractPath, 'utf8') : null;

function contractFlags(text: string): string[] {
  const start = text.indexOf('## 2.');
  const end = text.indexOf('\n## 3.', start);
  const section = text.slice(start, end < 0 ? undefined : end);
  const flags = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `--')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const m of firstCell.matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(m[0]);
  }
  return [...flags];
}

describe('CONTRACT §2', () => {
  const test = contract === null ? it.skip : it;
  test(
    contract === null
      ? `every flag of its table is in the flag table (SKIPPED: ${contractPath} not found)`
      : 'every flag of its table is in the flag table, and the table adds only documented extras',
    () => {
      const documented = contractFlags(contract ?? '');
      expect(documented.length).toBeGreaterThanOrEqual(20);
      const ours = specs.map((s) => s.flag);
      expect(documented.filter((f) => !ours.includes(f))).toEqual([]);
      // Ours beyond the table: --config (named in the text above it) and the marked additions.
      const beyond = ours.filter((f) => !documented.includes(f));
      expect(beyond.sort()).toEqual(
        ['--config', ...specs.filter((s) => !s.inContract).map((s) => s.flag)].sort(),
      );
    },
  );
});
