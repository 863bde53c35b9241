/** Reading the markdown tables the benchmarks print, checking their shape as they are read. */
import assert from 'node:assert/strict';

/** The first markdown table in `text`: its header and rows, checked for shape. */
export function parseTable(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  assert.ok(start >= 0, `no table in:\n${text}`);
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  const cells = (line: string): string[] => {
    assert.ok(line.endsWith(' |'), `unterminated row: ${line}`);
    return line
      .slice(2, -2)
      .split(' | ')
      .map((c) => c.trim());
  };
  const [header, separator, ...rows] = lines.slice(start, end).map(cells);
  assert.ok(header && separator, 'header and separator');
  assert.deepEqual(
    separator,
    header.map(() => '---'),
  );
  assert.ok(rows.length > 0, 'at least one row');
  for (const row of rows) assert.equal(row.length, header.length, `row ${row.join(' | ')}`);
  assert.ok(
    rows.flat().every((c) => c.length > 0),
    'no empty cell',
  );
  return { header, rows };
}

/** A number, possibly "x ± y%"; '-' (not measured) is allowed where `dash` says so. */
export function assertNumeric(cell: string, what: string, dash = false): void {
  if (dash && cell === '-') return;
  const value = Number(cell.split(' ± ')[0]);
  assert.ok(Number.isFinite(value) && value >= 0, `${what}: ${cell}`);
}

export function column(t: { header: string[]; rows: string[][] }, name: string): string[] {
  const i = t.header.indexOf(name);
  assert.ok(i >= 0, `column ${name} in ${t.header.join(', ')}`);
  return t.rows.map((r) => r[i]!);
}
