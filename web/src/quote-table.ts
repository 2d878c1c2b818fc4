// The watchlist table. An incoming quote is only remembered on its row (latest wins); once per
// animation frame the table patches the textContent of the cells whose value actually changed.
// No innerHTML rebuilds per message and no layout reads in the loop. Rows scrolled out of view
// (tracked by an IntersectionObserver, which never forces layout) are not touched at all until they
// come back into view, so 500 symbols at every-tick cadence cost only the visible rows' writes.
import { direction, formatChange, formatPercent, formatPrice, formatTime, formatVolume } from './format.js';
import type { Quote } from './wire.js';

type Field = 'last' | 'change' | 'changePct' | 'bid' | 'ask' | 'volume' | 'ts';
const FIELDS: readonly Field[] = ['last', 'change', 'changePct', 'bid', 'ask', 'volume', 'ts'];

interface Row {
  symbol: string;
  tr: HTMLTableRowElement;
  name: HTMLTableCellElement;
  /** The name again under the code, shown only where the table is too narrow for a Name column. */
  subName: HTMLSpanElement;
  session: HTMLSpanElement;
  cells: Record<Field, HTMLTableCellElement>;
  /** Values currently on screen (NaN = nothing shown yet), compared before touching the DOM. */
  shown: Record<Field, number>;
  /** Per cell, alternates the flash animation name so a new flash restarts without a forced reflow. */
  flip: Record<'last' | 'bid' | 'ask', 0 | 1>;
  dayDirection: -1 | 0 | 1;
  /** Newest quote not yet drawn. */
  queued: Quote | null;
  /** Inside (or near) the scroll viewport, per the IntersectionObserver. */
  visible: boolean;
}

export interface QuoteTableHandlers {
  onSelect(symbol: string): void;
  onRemove(symbol: string): void;
}

export class QuoteTable {
  private readonly rows = new Map<string, Row>();
  /** Visible rows with a queued quote, drawn on the next frame. */
  private readonly dirty = new Set<Row>();
  private readonly rowByElement = new WeakMap<Element, Row>();
  private readonly visibility: IntersectionObserver;
  private frameRequested = false;
  private selected: string | null = null;
  /** performance.now() when the first quote was written into a row (the page's first live paint). */
  firstPaintAt: number | null = null;

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    scrollContainer: HTMLElement,
    private readonly handlers: QuoteTableHandlers,
  ) {
    tbody.addEventListener('click', this.handleClick);
    tbody.addEventListener('keydown', this.handleKey);
    // A margin of a few rows keeps scrolling from revealing stale values.
    this.visibility = new IntersectionObserver(this.handleVisibility, { root: scrollContainer, rootMargin: '160px 0px' });
  }

  has(symbol: string): boolean {
    return this.rows.has(symbol);
  }

  symbols(): string[] {
    return [...this.rows.keys()];
  }

  addRow(symbol: string, name: string): void {
    if (this.rows.has(symbol)) return;
    const tr = document.createElement('tr');
    tr.dataset['symbol'] = symbol;
    tr.tabIndex = 0;
    tr.className = 'pending';
    tr.setAttribute('aria-selected', 'false');
    const symbolCell = cell(tr, 'sym');
    const code = document.createElement('span');
    code.className = 'code';
    code.textContent = symbol;
    const subName = document.createElement('span');
    subName.className = 'sub-name';
    subName.textContent = name;
    symbolCell.append(code, subName);
    const nameCell = cell(tr, 'name');
    nameCell.textContent = name;
    nameCell.title = name;
    const session = document.createElement('span');
    session.className = 'session';
    session.hidden = true;
    cell(tr, 'session').append(session);
    const cells = {} as Record<Field, HTMLTableCellElement>;
    const shown = {} as Record<Field, number>;
    for (const field of FIELDS) {
      cells[field] = cell(tr, `num ${field === 'ts' ? 'time' : field === 'changePct' ? 'pct' : field}`);
      cells[field].textContent = '—';
      shown[field] = NaN;
    }
    const actions = cell(tr, 'actions');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove';
    remove.textContent = '×';
    remove.title = `Remove ${symbol} (Delete)`;
    remove.setAttribute('aria-label', `Remove ${symbol}`);
    actions.append(remove);
    this.tbody.append(tr);
    const row: Row = {
      symbol, tr, name: nameCell, subName, session, cells, shown,
      // Assumed visible until the IntersectionObserver reports, so the first quotes are drawn on the
      // very next frame instead of waiting for its first callback (rows out of view are drawn once).
      flip: { last: 0, bid: 0, ask: 0 }, dayDirection: 0, queued: null, visible: true,
    };
    this.rows.set(symbol, row);
    this.rowByElement.set(tr, row);
    this.visibility.observe(tr);
  }

  removeRow(symbol: string): void {
    const row = this.rows.get(symbol);
    if (row === undefined) return;
    this.visibility.unobserve(row.tr);
    row.tr.remove();
    this.rows.delete(symbol);
    this.dirty.delete(row);
    if (this.selected === symbol) this.selected = null;
  }

  setName(symbol: string, name: string): void {
    const row = this.rows.get(symbol);
    if (row !== undefined && row.name.textContent !== name) {
      row.name.textContent = name;
      row.name.title = name;
      row.subName.textContent = name;
    }
  }

  /** The row's session badge (open / pre-open / break / closed); null hides it (no known market). */
  setSession(symbol: string, state: string | null, label: string, title: string): void {
    const badge = this.rows.get(symbol)?.session;
    if (badge === undefined) return;
    if (state === null) {
      badge.hidden = true;
      return;
    }
    badge.hidden = false;
    if (badge.dataset['state'] !== state) badge.dataset['state'] = state;
    if (badge.textContent !== label) badge.textContent = label;
    if (badge.title !== title) badge.title = title;
  }

  markUnavailable(symbol: string, reason: string): void {
    const row = this.rows.get(symbol);
    if (row === undefined) return;
    row.tr.classList.add('unavailable');
    row.tr.title = reason;
  }

  select(symbol: string | null): void {
    if (this.selected !== null) {
      const previous = this.rows.get(this.selected);
      previous?.tr.classList.remove('selected');
      previous?.tr.setAttribute('aria-selected', 'false');
    }
    this.selected = symbol !== null && this.rows.has(symbol) ? symbol : null;
    if (this.selected !== null) {
      const row = this.rows.get(this.selected)!;
      row.tr.classList.add('selected');
      row.tr.setAttribute('aria-selected', 'true');
    }
  }

  /** A new stream epoch: seqs start over, so a queued quote of the old epoch must not hold back the new ones. */
  resetSequences(): void {
    for (const row of this.rows.values()) row.queued = null;
  }

  /** Queue a quote; the newest one per symbol wins and is drawn on the next frame if visible. */
  push(quote: Quote): void {
    const row = this.rows.get(quote.symbol);
    if (row === undefined) return;
    if (row.queued !== null && row.queued.seq > quote.seq) return; // stale (snapshot racing an update)
    row.queued = quote;
    if (row.visible) this.markDirty(row);
  }

  private markDirty(row: Row): void {
    this.dirty.add(row);
    if (!this.frameRequested) {
      this.frameRequested = true;
      requestAnimationFrame(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.frameRequested = false;
    for (const row of this.dirty) {
      if (row.queued !== null) this.patch(row, row.queued);
      row.queued = null;
    }
    this.dirty.clear();
  };

  private readonly handleVisibility = (entries: IntersectionObserverEntry[]): void => {
    for (const entry of entries) {
      const row = this.rowByElement.get(entry.target);
      if (row === undefined) continue;
      row.visible = entry.isIntersecting;
      if (row.visible && row.queued !== null) this.markDirty(row);
    }
  };

  private patch(row: Row, q: Quote): void {
    const { cells, shown } = row;
    if (shown.last !== shown.last) {
      row.tr.classList.remove('pending'); // first data (NaN check)
      // Recorded once the frame that shows it has been painted (a task queued from rAF runs after it).
      if (this.firstPaintAt === null) setTimeout(() => (this.firstPaintAt ??= performance.now()), 0);
    }

    const dayDir = direction(q.change);
    if (dayDir !== row.dayDirection || shown.change !== shown.change) {
      row.dayDirection = dayDir;
      // Day direction colours last, change and change %; set once per sign flip, not per tick.
      row.tr.dataset['dir'] = dayDir > 0 ? 'up' : dayDir < 0 ? 'down' : 'flat';
    }

    if (q.last !== shown.last) {
      const tickDir = shown.last === shown.last ? direction(q.last - shown.last) : 0;
      cells.last.textContent = formatPrice(q.last);
      if (tickDir !== 0) flash(row, 'last', tickDir);
      shown.last = q.last;
    }
    if (q.change !== shown.change) {
      cells.change.textContent = formatChange(q.change, q.last);
      shown.change = q.change;
    }
    if (q.changePct !== shown.changePct) {
      cells.changePct.textContent = formatPercent(q.changePct);
      shown.changePct = q.changePct;
    }
    this.patchSide(row, 'bid', q.bid);
    this.patchSide(row, 'ask', q.ask);
    if (q.volume !== shown.volume) {
      cells.volume.textContent = formatVolume(q.volume);
      shown.volume = q.volume;
    }
    // Whole seconds only: the clock column would otherwise be rewritten on every tick.
    const second = Math.floor(q.ts / 1000);
    if (second !== shown.ts) {
      cells.ts.textContent = formatTime(q.ts);
      shown.ts = second;
    }
  }

  private patchSide(row: Row, field: 'bid' | 'ask', value: number): void {
    const before = row.shown[field];
    if (value === before) return;
    const cellEl = row.cells[field];
    cellEl.textContent = formatPrice(value);
    if (before === before) flash(row, field, value > before ? 1 : -1);
    row.shown[field] = value;
  }

  private readonly handleClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    const tr = target.closest('tr');
    const symbol = tr?.dataset['symbol'];
    if (symbol === undefined) return;
    if (target.closest('button.remove') !== null) this.handlers.onRemove(symbol);
    else this.handlers.onSelect(symbol);
  };

  private readonly handleKey = (event: KeyboardEvent): void => {
    const tr = (event.target as HTMLElement).closest('tr');
    const symbol = tr?.dataset['symbol'];
    if (tr === null || symbol === undefined) return;
    switch (event.key) {
      case 'Enter':
      case ' ':
        event.preventDefault();
        this.handlers.onSelect(symbol);
        break;
      case 'Delete':
      case 'Backspace': {
        event.preventDefault();
        const next = (tr.nextElementSibling ?? tr.previousElementSibling) as HTMLTableRowElement | null;
        this.handlers.onRemove(symbol);
        next?.focus();
        break;
      }
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        const next = (event.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLTableRowElement | null;
        if (next?.dataset['symbol'] !== undefined) {
          next.focus();
          this.handlers.onSelect(next.dataset['symbol']);
        }
        break;
      }
    }
  };
}

/** Restart the cell's up/down flash: a different animation name makes the browser start it afresh. */
function flash(row: Row, field: 'last' | 'bid' | 'ask', dir: 1 | -1): void {
  const flip = (row.flip[field] = row.flip[field] === 0 ? 1 : 0);
  row.cells[field].className = `num ${field} flash-${dir > 0 ? 'up' : 'down'}-${flip}`;
}

function cell(tr: HTMLTableRowElement, className: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = className;
  tr.append(td);
  return td;
}
