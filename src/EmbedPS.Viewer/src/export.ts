// The selected rows as CSV (RFC 4180): the id, then every metadata field, one row per entity in row order. Numbers
// are written in full (no thousands separators); a text cell that a spreadsheet would run as a formula (leading
// =, +, -, @, tab or carriage return) is prefixed with an apostrophe, since metadata is untrusted.
import type { AtlasData } from './atlas-data';

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replace(/"/g, '""')}"` : cell;
}

function defuse(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

export function selectionCsv(data: AtlasData, rows: number[]): string {
  const fields = data.meta.fields;
  const lines = [['id', ...fields.map((f) => f.name)].map((h) => quote(defuse(h))).join(',')];
  for (const row of rows) {
    const cells = [quote(defuse(data.ids[row]))];
    for (const field of fields) {
      const column = data.columns.get(field.name)!;
      let cell = '';
      if (column.kind === 'number') cell = Number.isNaN(column.values[row]) ? '' : String(column.values[row]);
      else if (column.kind === 'category') cell = column.codes[row] === column.meta.missing ? '' : defuse(column.meta.categories![column.codes[row]]);
      else cell = defuse(column.values[row] ?? '');
      cells.push(quote(cell));
    }
    lines.push(cells.join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
