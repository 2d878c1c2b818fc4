/**
 * The CSV side of a replay recording: the header (which column is which) and the cells of one row.
 * A row becomes the same field map an NDJSON line gives, so replay-records.ts normalises both alike.
 *
 * The format: a header row naming the columns, then one quote per line, e.g.
 *
 *     ts,symbol,last,bid,ask,volume
 *     2024-03-15T13:30:00.012Z,AAPL,189.23,189.22,189.24,1200
 *
 * - Columns are found by name (any order, names case-insensitive): `ts`, `symbol` and a price
 *   (`last`, `bid` or `ask`) are required; `bid`, `ask`, `volume`, `size`, `prevClose`, `open`,
 *   `high`, `low` are optional; other columns are ignored (and reported).
 * - An empty cell is an absent value. Fields may be quoted ("..." with "" for a quote, RFC 4180),
 *   but a row is one line.
 * - `ts` is epoch milliseconds or an ISO-8601 date.
 */

/** Columns a CSV recording may have, as they are spelled in the field map (the NDJSON names). */
export const CSV_COLUMNS = ['ts', 'symbol', 'last', 'bid', 'ask', 'volume', 'size', 'prevClose', 'open', 'high', 'low'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

const BY_LOWER_NAME: ReadonlyMap<string, CsvColumn> = new Map(CSV_COLUMNS.map((name) => [name.toLowerCase(), name]));

/** Thrown for a header that cannot be read: the file as a whole is unusable. */
export class CsvHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvHeaderError';
  }
}

export interface CsvHeader {
  /** For each cell position, the column it holds, or undefined for an ignored column. */
  readonly columns: readonly (CsvColumn | undefined)[];
  /** Names of the columns that are not quote fields (ignored). */
  readonly ignored: readonly string[];
}

/** An example header for error messages. */
const EXAMPLE = 'ts,symbol,last,bid,ask,volume';

/** Reads the header row; throws a CsvHeaderError saying what is wrong with it. */
export function parseCsvHeader(line: string): CsvHeader {
  if (line.startsWith('{')) throw new CsvHeaderError('the first line is a JSON object, not a CSV header: name an NDJSON recording .ndjson or .jsonl');
  const cells = splitCsvLine(line);
  if (typeof cells === 'string') throw new CsvHeaderError(`the header row is not valid CSV (${cells})`);
  const names = cells.map((cell) => cell.trim());
  const first = names[0] ?? '';
  // A recording without a header starts with a timestamp: say so, rather than "no ts column".
  if (/^\d/.test(first)) throw new CsvHeaderError(`no header row: the first line must name the columns, e.g. ${EXAMPLE}`);
  const columns: (CsvColumn | undefined)[] = [];
  const ignored: string[] = [];
  const seen = new Set<CsvColumn>();
  names.forEach((name, index) => {
    if (name === '') throw new CsvHeaderError(`column ${index + 1} of the header has no name (expected a header like ${EXAMPLE})`);
    const column = BY_LOWER_NAME.get(name.toLowerCase());
    if (column === undefined) {
      ignored.push(name);
      columns.push(undefined);
      return;
    }
    if (seen.has(column)) throw new CsvHeaderError(`the header names the column "${column}" twice`);
    seen.add(column);
    columns.push(column);
  });
  const missing = (['ts', 'symbol'] as const).filter((column) => !seen.has(column));
  if (missing.length > 0) {
    throw new CsvHeaderError(`the header has no ${missing.map((m) => `"${m}"`).join(' or ')} column (got "${names.join(',')}"; expected e.g. ${EXAMPLE})`);
  }
  if (!seen.has('last') && !seen.has('bid') && !seen.has('ask')) {
    throw new CsvHeaderError(`the header has no price column: "last" (or "bid"/"ask") (got "${names.join(',')}"; expected e.g. ${EXAMPLE})`);
  }
  return { columns, ignored };
}

/**
 * The field map of one data row: numbers where the cell is a decimal number, the raw text otherwise
 * (the normaliser then names the field it refuses), absent for an empty cell. A string is returned
 * when the row itself is unreadable (wrong number of cells, a broken quote).
 */
export function parseCsvRow(line: string, header: CsvHeader): Record<string, unknown> | string {
  const cells = splitCsvLine(line);
  if (typeof cells === 'string') return cells;
  if (cells.length !== header.columns.length) return `expected ${header.columns.length} fields (as in the header), got ${cells.length}`;
  const row: Record<string, unknown> = {};
  for (let k = 0; k < cells.length; k++) {
    const column = header.columns[k];
    const cell = cells[k]!.trim();
    if (column === undefined || cell === '') continue;
    row[column] = column === 'symbol' ? cell : DECIMAL.test(cell) ? Number(cell) : cell;
  }
  return row;
}

/** A plain decimal number (no hex, no "Infinity", no empty string: Number() would take those). */
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Splits one CSV line into its cells (RFC 4180 quoting); a string describes a malformed line. */
export function splitCsvLine(line: string): string[] | string {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let k = 0;
  for (;;) {
    if (line[k] === '"') {
      let cell = '';
      k++;
      for (;;) {
        const close = line.indexOf('"', k);
        if (close === -1) return 'a quoted field is not closed';
        cell += line.slice(k, close);
        if (line[close + 1] === '"') {
          cell += '"';
          k = close + 2;
        } else {
          k = close + 1;
          break;
        }
      }
      cells.push(cell);
      if (k === line.length) return cells;
      if (line[k] !== ',') return `unexpected text after a quoted field at column ${k + 1}`;
      k++;
    } else {
      const comma = line.indexOf(',', k);
      const cell = line.slice(k, comma === -1 ? undefined : comma);
      if (cell.includes('"')) return `a quote inside an unquoted field at column ${k + 1}`;
      cells.push(cell);
      if (comma === -1) return cells;
      k = comma + 1;
    }
  }
}
