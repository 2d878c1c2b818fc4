export { TIMEFRAMES, TIMEFRAME_MS, TIMEFRAME_CAPACITY, type Bar, type Timeframe } from './timeframes.js';
export { BarRing } from './bar-ring.js';
export { BarBook, type BarsSnapshot, type HistorySeries, type HistoryBars, type SymbolBarsSnapshot } from './bar-book.js';
export { TickRing, type Tick } from './tick-ring.js';
