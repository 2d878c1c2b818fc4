// Dashboard entry point: wires the socket, the watchlist table, the chart, search and preferences.
import { ChartFeed, type ChartState } from './chart-feed.js';
import type { ChartColors } from './chart-panel.js';
import { QuoteSocket, type ConnectionState } from './connection.js';
import { direction, formatChange, formatPercent, formatPrice, formatTime, formatVolume } from './format.js';
import { LazyChart } from './lazy-chart.js';
import { Markets, SESSION_LABEL, sessionTitle } from './markets.js';
import * as prefs from './prefs.js';
import { QuoteTable } from './quote-table.js';
import { LiveStats } from './stats.js';
import { SymbolSearch } from './symbol-search.js';
import {
  CADENCES,
  isTimeframe,
  type ClientCommand,
  type CommandId,
  type FeedStatus,
  type IncomingMessage,
  type Quote,
  type SymbolInfo,
} from './wire.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`dashboard: #${id} missing from index.html`);
  return el as T;
}

const ui = {
  status: byId<HTMLButtonElement>('status'),
  staleSince: byId('stale-since'),
  rate: byId('rate'),
  quoteRate: byId('quote-rate'),
  latency: byId('latency'),
  cadence: byId<HTMLSelectElement>('cadence'),
  colors: byId<HTMLSelectElement>('colors'),
  count: byId('count'),
  tbody: byId<HTMLTableSectionElement>('watchlist-body'),
  tableWrap: byId('table-wrap'),
  empty: byId('watchlist-empty'),
  search: byId<HTMLInputElement>('symbol-search'),
  results: byId<HTMLUListElement>('search-results'),
  chart: byId('chart'),
  chartSymbol: byId('chart-symbol'),
  chartName: byId('chart-name'),
  chartLast: byId('chart-last'),
  chartChange: byId('chart-change'),
  chartKind: byId('chart-kind'),
  chartTimeframe: byId('chart-timeframe'),
  chartStatus: byId('chart-status'),
  chartMarket: byId('chart-market'),
  details: byId('details'),
  server: byId('server-info'),
  toast: byId('toast'),
};

// ---- state -------------------------------------------------------------------------------------
let watchlist = prefs.loadWatchlist();
const watched = new Set(watchlist);
let cadence = prefs.loadCadence(CADENCES, 1000);
let colorConvention = prefs.loadColors();
const chartPrefs = prefs.loadChartPrefs();
let universe: SymbolInfo[] = [];
const infoBySymbol = new Map<string, SymbolInfo>();
const latest = new Map<string, Quote>();
const stats = new LiveStats();
let connection: ConnectionState = { kind: 'connecting', attempt: 0 };
/** The stream epoch the shown data belongs to (null before the first welcome). */
let epoch: string | null = null;
/** The stream offset of the last quotes/snapshot applied: a reconnect asks to resume after it. */
let streamOffset = -1;
let feed: FeedStatus = { state: 'up' };
let nextCommandId = 1;
/** When the prices shown stopped being live (Date.now()), or null while they are live. */
let staleSince: number | null = null;

// ---- colours -----------------------------------------------------------------------------------
function applyColorConvention(): void {
  document.documentElement.dataset['colors'] = colorConvention;
  ui.colors.value = colorConvention;
}

function chartColors(): ChartColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string): string => css.getPropertyValue(name).trim();
  return { up: v('--up'), down: v('--down'), text: v('--muted'), grid: v('--grid'), accent: v('--accent'), muted: v('--muted') };
}

applyColorConvention();

// ---- table & chart -----------------------------------------------------------------------------
const table = new QuoteTable(ui.tbody, ui.tableWrap, {
  onSelect: (symbol) => selectSymbol(symbol),
  onRemove: (symbol) => removeSymbol(symbol),
});
// The chart library arrives as a separate chunk (lazy-chart.ts): the table and the socket do not wait for it.
const chart = new LazyChart(ui.chart, chartPrefs.kind, chartColors(), (err) =>
  showToast(`Chart unavailable (${err instanceof Error ? err.message : String(err)})`),
);
const chartFeed = new ChartFeed({
  panel: chart,
  send: (command) => (socket.send({ ...command, id: nextCommandId }) ? nextCommandId++ : null),
  onState: (state: ChartState, detail: string) => {
    ui.chart.dataset['state'] = state;
    ui.chartStatus.textContent = detail;
    ui.chartStatus.hidden = detail === '';
  },
});

function displayName(symbol: string): string {
  return infoBySymbol.get(symbol)?.name ?? '';
}

function refreshCount(): void {
  ui.count.textContent = String(watchlist.length);
  ui.empty.hidden = watchlist.length > 0;
}

for (const symbol of watchlist) table.addRow(symbol, displayName(symbol));
refreshCount();

function selectSymbol(symbol: string | null): void {
  table.select(symbol);
  chartPrefs.symbol = symbol;
  prefs.saveChartPrefs(chartPrefs);
  const quote = symbol === null ? undefined : latest.get(symbol);
  chart.setPrevClose(quote?.prevClose ?? infoBySymbol.get(symbol ?? '')?.prevClose ?? null);
  chartFeed.show(symbol, chartPrefs.tf);
  ui.chartSymbol.textContent = symbol ?? 'No symbol selected';
  ui.chartName.textContent = symbol === null ? 'Click a row to chart it' : displayName(symbol);
  renderChartHeader();
  renderMarkets();
}

function renderChartHeader(): void {
  const symbol = chartFeed.symbol;
  const q = symbol === null ? undefined : latest.get(symbol);
  if (q === undefined) {
    ui.chartLast.textContent = '';
    ui.chartChange.textContent = '';
    ui.details.hidden = true;
    return;
  }
  chart.setPrevClose(q.prevClose);
  ui.chartLast.textContent = formatPrice(q.last);
  ui.chartChange.textContent = `${formatChange(q.change, q.last)}  ${formatPercent(q.changePct)}`;
  const dir = direction(q.change);
  ui.chartChange.dataset['dir'] = dir > 0 ? 'up' : dir < 0 ? 'down' : 'flat';
  ui.details.hidden = false;
  setDetail('open', formatPrice(q.open));
  setDetail('high', formatPrice(q.high));
  setDetail('low', formatPrice(q.low));
  setDetail('prev', formatPrice(q.prevClose));
  setDetail('spread', formatPrice(q.ask - q.bid, q.last));
  setDetail('volume', formatVolume(q.volume));
}

function setDetail(key: string, text: string): void {
  const el = ui.details.querySelector<HTMLElement>(`[data-detail="${key}"]`);
  if (el !== null && el.textContent !== text) el.textContent = text;
}

let headerFrame = false;
function scheduleHeader(): void {
  if (headerFrame) return;
  headerFrame = true;
  requestAnimationFrame(() => {
    headerFrame = false;
    renderChartHeader();
  });
}

// ---- socket ------------------------------------------------------------------------------------
/**
 * A token for servers with authentication: from the page's `#token=` fragment (never sent to the
 * server in the page request, so it stays out of access logs) or `?token=`. A browser cannot set
 * headers on a WebSocket, so the query parameter is how it travels; the server scrubs it from logs.
 */
const authToken = new URLSearchParams(location.hash.slice(1)).get('token') ?? new URLSearchParams(location.search).get('token');

function socketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const symbols = watchlist.map(encodeURIComponent).join(',');
  const token = authToken === null ? '' : `&token=${encodeURIComponent(authToken)}`;
  // After a drop, resume where we were: the server sends exactly what was missed (docs/api.md).
  const since = epoch !== null && streamOffset >= 0 ? `&since=${encodeURIComponent(epoch)}:${streamOffset}` : '';
  return `${scheme}//${location.host}/ws?symbols=${symbols}&interval=${cadence}${token}${since}`;
}

function send(command: ClientCommand): CommandId {
  const id = nextCommandId++;
  socket.send({ ...command, id }); // when closed, the reconnect URL already carries the new state
  return id;
}

function applyQuotes(quotes: readonly Quote[]): void {
  const now = Date.now();
  const charted = chartFeed.symbol;
  for (let i = 0; i < quotes.length; i++) {
    const q = quotes[i]!;
    stats.countQuote(now - q.ts);
    if (!watched.has(q.symbol)) continue; // in flight when the symbol was removed
    latest.set(q.symbol, q);
    table.push(q);
    if (q.symbol === charted) scheduleHeader();
  }
}

function handleMessage(message: IncomingMessage): void {
  stats.countMessage();
  switch (message.type) {
    case 'quotes':
    case 'snapshot':
      // A recovered snapshot holds what was missed while disconnected: applied like updates.
      applyQuotes(message.quotes);
      chartFeed.handleQuotes(message.quotes, message.offset);
      streamOffset = message.offset;
      break;
    case 'bars':
      chartFeed.handleReply(message);
      break;
    case 'welcome': {
      const sameStream = message.epoch === epoch;
      enterEpoch(message.epoch);
      setFeedStatus(message.feed);
      ui.server.textContent = `${message.server} ${message.version}${message.worker !== undefined ? ` · worker ${message.worker}` : ''}`;
      // Every (re)connection reloads the chart's history: what happened while we were away is in it.
      chartFeed.reload(sameStream);
      break;
    }
    case 'epoch':
      enterEpoch(message.epoch);
      // A new stream: its history replaces the chart, so no candle bridges the two epochs.
      chartFeed.reload(false);
      break;
    case 'status':
      setFeedStatus(message.reason !== undefined ? { state: message.feed, reason: message.reason } : { state: message.feed });
      break;
    case 'symbols':
      for (const info of message.added) {
        if (!infoBySymbol.has(info.symbol)) universe.push(info);
        infoBySymbol.set(info.symbol, info);
      }
      renderMarkets();
      break;
    case 'interval':
      ui.cadence.value = String(message.interval);
      break;
    case 'error':
      if (chartFeed.handleError(message.id, message.code, message.message)) break;
      for (const s of message.symbols ?? []) table.markUnavailable(s, message.message);
      showToast(`${message.code}: ${message.message}`);
      break;
    case 'subscriptions':
    case 'heartbeat': // liveness is recorded by the socket for every message
    case 'pong':
      break;
  }
}

const socket = new QuoteSocket({
  url: socketUrl,
  onMessage: handleMessage,
  onState: (state) => {
    connection = state;
    renderStatus();
  },
});

/**
 * The server restarted its stream (new epoch): seqs start over and prices jump, so the table accepts
 * the new seqs (the chart reloads its history from the new stream, see the callers).
 */
function enterEpoch(next: string): void {
  if (epoch !== null && next !== epoch) table.resetSequences();
  epoch = next;
  document.documentElement.dataset['epoch'] = next;
}

function setFeedStatus(status: FeedStatus): void {
  feed = status;
  document.documentElement.dataset['feed'] = status.state;
  renderStatus();
}

function renderStatus(): void {
  const el = ui.status;
  el.dataset['state'] = connection.kind;
  switch (connection.kind) {
    case 'connecting':
      el.textContent = connection.attempt === 0 ? 'Connecting…' : `Connecting (attempt ${connection.attempt + 1})…`;
      break;
    case 'live':
      el.textContent = feed.state === 'up' ? 'Live' : `Live · feed ${feed.state}`;
      break;
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((connection.at - Date.now()) / 1000));
      el.textContent = `Reconnecting in ${seconds}s`;
      break;
    }
    case 'offline':
      el.textContent = 'Offline';
      break;
  }
  el.title = connection.kind === 'reconnecting' ? 'Click to reconnect now' : feed.state !== 'up' ? (feed.reason ?? '') : '';
  // Prices are dimmed whenever they may be out of date: no connection, or a feed that is not up.
  const fresh = connection.kind === 'live' && feed.state === 'up';
  document.documentElement.dataset['fresh'] = fresh ? 'yes' : 'no';
  // "stale since" once prices were shown and stopped being live (not while the first connection is made).
  if (fresh) staleSince = null;
  else if (staleSince === null && latest.size > 0) staleSince = Date.now();
  const text = staleSince === null ? '' : `stale since ${formatTime(staleSince)}`;
  if (ui.staleSince.textContent !== text) ui.staleSince.textContent = text;
  ui.staleSince.hidden = staleSince === null;
}

ui.status.addEventListener('click', () => socket.reconnectNow());

// ---- watchlist editing -------------------------------------------------------------------------
function addSymbol(symbol: string): void {
  if (watched.has(symbol)) {
    selectSymbol(symbol);
    return;
  }
  watchlist.push(symbol);
  watched.add(symbol);
  prefs.saveWatchlist(watchlist);
  table.addRow(symbol, displayName(symbol));
  refreshCount();
  send({ type: 'subscribe', symbols: [symbol] });
  selectSymbol(symbol); // also draws its session badge
}

function removeSymbol(symbol: string): void {
  if (!watched.has(symbol)) return;
  watchlist = watchlist.filter((s) => s !== symbol);
  watched.delete(symbol);
  prefs.saveWatchlist(watchlist);
  table.removeRow(symbol);
  latest.delete(symbol);
  refreshCount();
  send({ type: 'unsubscribe', symbols: [symbol] });
  if (chartFeed.symbol === symbol) selectSymbol(watchlist[0] ?? null);
}

const search = new SymbolSearch({
  input: ui.search,
  list: ui.results,
  universe: () => universe,
  isWatched: (s) => watched.has(s),
  onPick: addSymbol,
});

// ---- controls ----------------------------------------------------------------------------------
ui.cadence.value = String(cadence);
ui.cadence.addEventListener('change', () => {
  cadence = Number(ui.cadence.value);
  prefs.saveCadence(cadence);
  send({ type: 'interval', interval: cadence });
});

ui.colors.addEventListener('change', () => {
  colorConvention = ui.colors.value === 'red-up' ? 'red-up' : 'green-up';
  prefs.saveColors(colorConvention);
  applyColorConvention();
  chart.setColors(chartColors());
});

function syncSegments(): void {
  for (const b of ui.chartKind.querySelectorAll<HTMLButtonElement>('button')) {
    b.setAttribute('aria-pressed', String(b.dataset['kind'] === chartPrefs.kind));
  }
  for (const b of ui.chartTimeframe.querySelectorAll<HTMLButtonElement>('button')) {
    b.setAttribute('aria-pressed', String(b.dataset['tf'] === chartPrefs.tf));
  }
}

ui.chartKind.addEventListener('click', (event) => {
  const kind = (event.target as HTMLElement).closest('button')?.dataset['kind'];
  if (kind !== 'line' && kind !== 'candles') return;
  chartPrefs.kind = kind;
  prefs.saveChartPrefs(chartPrefs);
  chart.setKind(kind);
  syncSegments();
});

ui.chartTimeframe.addEventListener('click', (event) => {
  const tf = (event.target as HTMLElement).closest('button')?.dataset['tf'];
  if (!isTimeframe(tf) || tf === chartPrefs.tf) return;
  chartPrefs.tf = tf;
  prefs.saveChartPrefs(chartPrefs);
  chartFeed.show(chartFeed.symbol, tf); // the timeframe's own history, from the server
  syncSegments();
});
syncSegments();

document.addEventListener('keydown', (event) => {
  const target = event.target as HTMLElement;
  const typing = target.closest('input, select, textarea') !== null;
  if (event.key === '/' && !typing) {
    event.preventDefault();
    search.focus();
  }
});

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function showToast(text: string): void {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (ui.toast.hidden = true), 5000);
}

// ---- once-a-second readout ---------------------------------------------------------------------
setInterval(() => {
  const s = stats.roll();
  ui.rate.textContent = s.messagesPerSecond.toFixed(0);
  ui.quoteRate.textContent = s.quotesPerSecond.toFixed(0);
  ui.latency.textContent = s.medianLatencyMs === null ? '—' : `${Math.max(0, s.medianLatencyMs).toFixed(0)} ms`;
  if (connection.kind === 'reconnecting') renderStatus();
  renderMarketClock();
}, 1000);

// ---- market sessions ---------------------------------------------------------------------------
const markets = new Markets('/api/markets', () => renderMarkets());

/** The session badge of every row and the chart's market line, from the last /api/markets answer. */
function renderMarkets(): void {
  for (const symbol of watchlist) {
    const view = markets.forExchange(infoBySymbol.get(symbol)?.exchange);
    if (view === undefined) table.setSession(symbol, null, '', '');
    else table.setSession(symbol, view.market.state, SESSION_LABEL[view.market.state], sessionTitle(view, markets.localTime(view.market)));
  }
  const view = markets.forExchange(infoBySymbol.get(chartFeed.symbol ?? '')?.exchange);
  chart.setTimeZone(view?.market.timeZone ?? null);
  renderMarketClock();
}

/** "NASDAQ · 10:31:02 New York · open": the charted symbol's exchange time, every second. */
function renderMarketClock(): void {
  const info = infoBySymbol.get(chartFeed.symbol ?? '');
  const view = markets.forExchange(info?.exchange);
  const el = ui.chartMarket;
  if (info === undefined || view === undefined) {
    el.hidden = info === undefined;
    el.textContent = info?.exchange ?? '';
    el.removeAttribute('title');
    return;
  }
  const { market } = view;
  const city = market.timeZone.slice(market.timeZone.lastIndexOf('/') + 1).replace(/_/g, ' ');
  const local = markets.localTime(market);
  const real = market.exchangeState !== market.state ? ` (exchange ${market.exchangeState})` : '';
  const text = `${info.exchange} · ${local} ${city} · ${SESSION_LABEL[market.state]}${real}`;
  el.hidden = false;
  if (el.textContent !== text) el.textContent = text;
  el.dataset['state'] = market.state;
  el.title = sessionTitle(view, local);
}

// ---- start -------------------------------------------------------------------------------------
async function loadUniverse(): Promise<void> {
  try {
    const response = await fetch('/api/symbols', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    universe = (await response.json()) as SymbolInfo[];
  } catch (err) {
    showToast(`Symbol list unavailable (${err instanceof Error ? err.message : String(err)})`);
    return;
  }
  for (const info of universe) infoBySymbol.set(info.symbol, info);
  for (const symbol of watchlist) {
    const info = infoBySymbol.get(symbol);
    if (info !== undefined) table.setName(symbol, info.name);
    else table.markUnavailable(symbol, 'Not in the server’s symbol list');
  }
  const charted = chartFeed.symbol;
  if (charted !== null) {
    ui.chartName.textContent = displayName(charted);
    const info = infoBySymbol.get(charted);
    if (info !== undefined && !latest.has(charted)) chart.setPrevClose(info.prevClose);
  }
  renderMarkets();
}

chartFeed.tf = chartPrefs.tf;
selectSymbol(chartPrefs.symbol !== null && watched.has(chartPrefs.symbol) ? chartPrefs.symbol : (watchlist[0] ?? null));
socket.start();
void loadUniverse();
markets.start();

// Exposed for debugging in the browser console.
Object.assign(window, { tickstream: { socket, watchlist: () => [...watchlist], stats } });
// A small read-only hook for the end-to-end tests (test/web): what the chart holds and when things were painted.
Object.assign(window, {
  __tickstream: {
    chartBars: () => (chartFeed.live?.bars ?? []).map((b) => ({ ...b })),
    chartSeries: () => {
      chart.flushPending();
      return chart.seriesData();
    },
    /** The model and what is drawn, read together. */
    chartSnapshot: () => {
      chart.flushPending();
      return { bars: (chartFeed.live?.bars ?? []).map((b) => ({ ...b })), series: chart.seriesData(), liveUpdates: chartFeed.liveUpdates };
    },
    chartInfo: () => ({
      symbol: chartFeed.symbol,
      tf: chartFeed.tf,
      state: chartFeed.state,
      epoch: chartFeed.live?.epoch ?? null,
      offset: chartFeed.live?.offset ?? null,
      loads: chartFeed.loads,
      liveUpdates: chartFeed.liveUpdates,
      folded: chartFeed.live?.folded ?? 0,
    }),
    prevClose: () => chart.prevCloseGeometry(),
    firstQuotePaintedAt: () => table.firstPaintAt,
    firstHistoryAt: () => chart.firstHistoryAt,
  },
});
