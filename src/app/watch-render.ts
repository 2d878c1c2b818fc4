/**
 * Pure rendering of the `tickstream watch` table: rows in, one string out (no I/O, no clock
 * unless a time zone formatter is given), so it is unit-testable byte for byte.
 */
import type { WireQuote as Quote } from '../wire/index.js';

export interface WatchRow {
  readonly quote: Quote;
  /** Company name, when /api/symbols told us. */
  readonly name?: string | undefined;
}

export interface RenderOptions {
  /** ANSI colours (green up / red down). */
  readonly color: boolean;
  /** Terminal width in columns; the name column is dropped when the table does not fit. */
  readonly width?: number;
  /** Terminal height in rows; extra rows are summarised as "… N more". */
  readonly height?: number;
  /** First line, e.g. the server URL. */
  readonly title?: string;
  /** Last line, e.g. "connected" or "reconnecting in 3s". */
  readonly status?: string;
  /** Formats a quote's ts for the TIME column (default: local HH:MM:SS). */
  readonly formatTime?: (ts: number) => string;
}

export const ANSI = {
  home: '\x1b[H',
  clearToEnd: '\x1b[J',
  clearLine: '\x1b[K',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
  green: '\x1b[32m',
  red: '\x1b[31m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
} as const;

const NAME_WIDTH = 16;
/** Rows kept for the title, the header, the status and the "more" line. */
const CHROME_ROWS = 4;

interface Column {
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
}

const COLUMNS = {
  symbol: { title: 'SYMBOL', width: 10, align: 'left' },
  name: { title: 'NAME', width: NAME_WIDTH, align: 'left' },
  last: { title: 'LAST', width: 11, align: 'right' },
  change: { title: 'CHANGE', width: 10, align: 'right' },
  changePct: { title: 'CHG%', width: 8, align: 'right' },
  arrow: { title: '', width: 1, align: 'left' },
  volume: { title: 'VOLUME', width: 14, align: 'right' },
  time: { title: 'TIME', width: 8, align: 'right' },
} as const satisfies Record<string, Column>;

type ColumnKey = keyof typeof COLUMNS;

/** A layout: columns in order, each with the width it gets there. */
type Layout = readonly (Column & { readonly key: ColumnKey })[];

function layoutOf(keys: readonly ColumnKey[], widths: Partial<Record<ColumnKey, number>> = {}): Layout {
  return keys.map((key) => ({ ...COLUMNS[key], key, width: widths[key] ?? COLUMNS[key].width }));
}

/**
 * From the widest to the narrowest; the first that fits the terminal is used. Names stay down to
 * 80 columns (the classic terminal), then go; below the narrowest, lines are cut, never wrapped.
 */
const LAYOUTS: readonly Layout[] = [
  layoutOf(['symbol', 'name', 'last', 'change', 'changePct', 'arrow', 'volume', 'time']),
  layoutOf(['symbol', 'name', 'last', 'change', 'changePct', 'arrow', 'volume', 'time'], { name: 12, last: 10, change: 9, volume: 10 }),
  layoutOf(['symbol', 'last', 'change', 'changePct', 'arrow', 'volume', 'time'], { last: 10, change: 9, volume: 10 }),
  layoutOf(['symbol', 'last', 'changePct', 'arrow', 'time'], { last: 10 }),
  layoutOf(['symbol', 'last', 'changePct', 'arrow'], { symbol: 9, last: 10 }),
];

/** Renders the whole screen content (without cursor-movement codes); lines end with '\n'. */
export function renderTable(rows: readonly WatchRow[], options: RenderOptions): string {
  const width = options.width;
  const layout = width === undefined ? LAYOUTS[0]! : (LAYOUTS.find((l) => lineWidth(l) <= width) ?? LAYOUTS[LAYOUTS.length - 1]!);
  const fit = (line: string): string => (width === undefined ? line : cutToWidth(line, width));
  const formatTime = options.formatTime ?? localTime;
  const out: string[] = [];
  if (options.title !== undefined) out.push(paint(fit(options.title), ANSI.bold, options.color));
  out.push(paint(fit(layout.map((c) => cell(c.title, c)).join(' ').trimEnd()), ANSI.dim, options.color));
  const room = options.height === undefined ? rows.length : Math.max(1, options.height - CHROME_ROWS);
  const shown = rows.length > room ? rows.slice(0, room) : rows;
  for (const row of shown) out.push(renderRow(row, layout, formatTime, options.color, width));
  if (shown.length < rows.length) out.push(paint(`… ${rows.length - shown.length} more`, ANSI.dim, options.color));
  if (rows.length === 0) out.push(paint('(waiting for quotes)', ANSI.dim, options.color));
  if (options.status !== undefined) out.push(fit(options.status));
  return out.map((line) => line + '\n').join('');
}

function renderRow(row: WatchRow, layout: Layout, formatTime: (ts: number) => string, color: boolean, width: number | undefined): string {
  const q = row.quote;
  const direction = Math.sign(q.change);
  const tint = direction > 0 ? ANSI.green : direction < 0 ? ANSI.red : '';
  // Below the narrowest layout, whole cells are dropped from the right (colour codes stay balanced).
  let room = width ?? Infinity;
  const fitting = layout.filter((column) => (room -= column.width + 1) >= -1);
  const cells = fitting.map((column) => {
    switch (column.key) {
      case 'symbol':
        return cell(q.symbol, column);
      case 'name':
        return cell(row.name ?? '', column);
      case 'last':
        return cell(formatPrice(q.last), column);
      case 'change':
        return paint(cell(signed(formatPrice(q.change), q.change), column), tint, color);
      case 'changePct':
        return paint(cell(signed(q.changePct.toFixed(2), q.changePct) + '%', column), tint, color);
      case 'arrow':
        return paint(direction > 0 ? '▲' : direction < 0 ? '▼' : ' ', tint, color);
      case 'volume':
        return cell(formatVolume(q.volume), column);
      case 'time':
        return cell(formatTime(q.ts), column);
    }
  });
  return cells.join(' ').trimEnd();
}

export function formatPrice(value: number): string {
  return value.toFixed(2);
}

function signed(text: string, value: number): string {
  return value > 0 ? '+' + text : text;
}

/** Thousands separators, no locale dependence (the output must not vary between machines). */
export function formatVolume(volume: number): string {
  return Math.round(volume)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function localTime(ts: number): string {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function paint(text: string, code: string, color: boolean): string {
  return color && code !== '' ? code + text + ANSI.reset : text;
}

function lineWidth(layout: Layout): number {
  return layout.reduce((sum, c) => sum + c.width, 0) + layout.length - 1;
}

/** Cuts plain text (no colour codes) to a terminal width. */
function cutToWidth(line: string, width: number): string {
  if (displayWidth(line) <= width) return line;
  let out = '';
  for (const ch of line) {
    if (displayWidth(out + ch) > width) break;
    out += ch;
  }
  return out;
}

/** Pads or truncates to the column's display width (CJK characters take two terminal cells). */
function cell(text: string, column: Column): string {
  let fitted = text;
  if (displayWidth(fitted) > column.width) {
    fitted = '';
    for (const ch of text) {
      if (displayWidth(fitted + ch) > column.width - 1) break;
      fitted += ch;
    }
    fitted += '…';
  }
  const pad = ' '.repeat(Math.max(0, column.width - displayWidth(fitted)));
  return column.align === 'right' ? pad + fitted : fitted + pad;
}

/** Terminal cells a string occupies: East Asian wide / fullwidth characters count two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += isWide(ch.codePointAt(0)!) ? 2 : 1;
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/**
 * Reconnect delay after `attempt` consecutive failures: exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so a fleet of watchers that lost the same
 * server does not reconnect in lockstep.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random, baseMs = 500, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
