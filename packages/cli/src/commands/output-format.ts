import { InvalidArgumentError } from 'commander';

export type OutputFormat = 'json' | 'table';

export function parseOutputFormat(value: string): OutputFormat {
  if (value === 'json' || value === 'table') return value;
  throw new InvalidArgumentError(`'${value}' is not an output format (json or table).`);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * A table like `az -o table`: one row per object, one column per top-level scalar field
 * (nested objects are left out; use `-o json` for them), headers in PascalCase. A field that is an
 * object in some row and null in another (a configuration's `labels`) is a nested field: left out.
 */
export function renderTable(value: unknown): string {
  const rows = (Array.isArray(value) ? value : [value]).filter((row): row is Record<string, unknown> => typeof row === 'object' && row !== null);
  if (rows.length === 0) return Array.isArray(value) ? '' : String(value);
  const nested = new Set<string>();
  for (const row of rows) for (const [key, cell] of Object.entries(row)) if (cell !== undefined && !isScalar(cell)) nested.add(key);
  const columns: string[] = [];
  for (const row of rows) for (const [key, cell] of Object.entries(row)) if (isScalar(cell) && !nested.has(key) && !columns.includes(key)) columns.push(key);
  const header = columns.map((c) => c.charAt(0).toUpperCase() + c.slice(1));
  const body = rows.map((row) => columns.map((c) => (row[c] === undefined || row[c] === null ? '' : String(row[c]))));
  const widths = columns.map((_, i) => Math.max(header[i]!.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Writes a result to stdout in the chosen format (nothing for `undefined`). */
export function printResult(value: unknown, format: OutputFormat): void {
  if (value === undefined) return;
  const text = format === 'json' ? JSON.stringify(value, null, 2) : renderTable(value);
  process.stdout.write(`${text}\n`);
}
