// "Add symbol" combobox: searches the universe from GET /api/symbols by code or by any name the
// server provides (Chinese names included). Keyboard: ↑/↓ move, Enter adds, Esc closes.
import type { SymbolInfo } from './wire.js';

const MAX_RESULTS = 12;

export interface SymbolSearchOptions {
  input: HTMLInputElement;
  list: HTMLUListElement;
  universe: () => readonly SymbolInfo[];
  isWatched: (symbol: string) => boolean;
  onPick: (symbol: string) => void;
}

/** Lower rank = better match. Exact code, code prefix, name prefix, then substrings anywhere. */
function rank(info: SymbolInfo, query: string): number {
  const code = info.symbol.toLowerCase();
  if (code === query) return 0;
  if (code.startsWith(query)) return 1;
  // Every string the server sent (it may add more descriptive ones, e.g. an English name).
  const texts = Object.values(info as object).filter((v): v is string => typeof v === 'string');
  if (texts.some((t) => t.toLowerCase().startsWith(query))) return 2;
  if (code.includes(query)) return 3;
  if (texts.some((t) => t.toLowerCase().includes(query))) return 4;
  return Infinity;
}

export function searchUniverse(universe: readonly SymbolInfo[], rawQuery: string): SymbolInfo[] {
  const query = rawQuery.trim().toLowerCase();
  if (query === '') return [];
  const scored: { info: SymbolInfo; score: number }[] = [];
  for (const info of universe) {
    const score = rank(info, query);
    if (score !== Infinity) scored.push({ info, score });
  }
  scored.sort((a, b) => a.score - b.score || a.info.symbol.localeCompare(b.info.symbol));
  return scored.slice(0, MAX_RESULTS).map((s) => s.info);
}

export class SymbolSearch {
  private results: SymbolInfo[] = [];
  private active = -1;

  constructor(private readonly o: SymbolSearchOptions) {
    o.input.addEventListener('input', () => this.refresh());
    o.input.addEventListener('focus', () => this.refresh());
    o.input.addEventListener('keydown', this.handleKey);
    o.input.addEventListener('blur', () => setTimeout(() => this.close(), 150)); // let a click on a result land
    o.list.addEventListener('mousedown', (event) => {
      const li = (event.target as HTMLElement).closest('li');
      const symbol = li?.dataset['symbol'];
      if (symbol === undefined) return;
      event.preventDefault(); // keep focus in the input
      this.pick(symbol);
    });
  }

  focus(): void {
    this.o.input.focus();
    this.o.input.select();
  }

  refresh(): void {
    this.results = searchUniverse(this.o.universe(), this.o.input.value);
    this.active = this.results.length > 0 ? 0 : -1;
    this.render();
  }

  private render(): void {
    const { list, input } = this.o;
    const items = this.results.map((info, i) => {
      const li = document.createElement('li');
      li.dataset['symbol'] = info.symbol;
      li.id = `search-option-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === this.active));
      if (i === this.active) li.classList.add('active');
      const code = document.createElement('span');
      code.className = 'code';
      code.textContent = info.symbol;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = info.name;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = this.o.isWatched(info.symbol) ? 'watching' : info.exchange;
      li.append(code, name, meta);
      return li;
    });
    if (items.length === 0 && input.value.trim() !== '') {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = this.o.universe().length === 0 ? 'Symbol list unavailable — Enter adds the code as typed' : 'No matching symbol';
      items.push(li);
    }
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
    input.setAttribute('aria-expanded', String(!list.hidden));
    if (this.active >= 0) input.setAttribute('aria-activedescendant', `search-option-${this.active}`);
    else input.removeAttribute('aria-activedescendant');
  }

  private close(): void {
    this.o.list.hidden = true;
    this.o.input.setAttribute('aria-expanded', 'false');
  }

  private pick(symbol: string): void {
    this.o.onPick(symbol);
    this.o.input.value = '';
    this.results = [];
    this.render();
  }

  private readonly handleKey = (event: KeyboardEvent): void => {
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        if (this.results.length === 0) return;
        event.preventDefault();
        this.active = (this.active + (event.key === 'ArrowDown' ? 1 : -1) + this.results.length) % this.results.length;
        this.render();
        break;
      case 'Enter': {
        event.preventDefault();
        const chosen = this.results[this.active]?.symbol;
        const typed = this.o.input.value.trim().toUpperCase();
        if (chosen !== undefined) this.pick(chosen);
        else if (typed !== '' && this.o.universe().length === 0) this.pick(typed);
        break;
      }
      case 'Escape':
        this.o.input.value = '';
        this.close();
        this.o.input.blur();
        break;
    }
  };
}
