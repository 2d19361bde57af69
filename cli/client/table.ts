/**
 * Plain text tables, as `kubectl get` prints them: a header in capitals, columns padded to their
 * widest cell and two spaces apart, no trailing blanks (output is often diffed or grepped).
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
