/**
 * The bar timeframes the server keeps, and how many bars of each (the ring capacity).
 *
 * Sized for a trader's intraday chart and a bounded memory: the last 10 minutes at 1 s (600 bars), the
 * last hour at 5 s (720), a whole day at 1 min (1,440: any exchange's session fits) and two days at
 * 5 min (576). A symbol whose rings are full holds 3,336 bars × 48 bytes ≈ 156 KiB; rings grow as bars
 * arrive, so a quiet symbol costs little (docs/history.md has the memory figures).
 */
import { BAR_TIMEFRAMES, BAR_TIMEFRAME_MS, type BarTimeframe } from '../../wire/limits.js';
import type { WireBar } from '../../wire/types.js';

/** The wire names the timeframes (clients ask for them); this layer says how long each is and how many are kept. */
export const TIMEFRAMES = BAR_TIMEFRAMES;
export type Timeframe = BarTimeframe;

export const TIMEFRAME_MS = BAR_TIMEFRAME_MS;

export const TIMEFRAME_CAPACITY: Readonly<Record<Timeframe, number>> = { '1s': 600, '5s': 720, '1m': 1_440, '5m': 576 };

/** One OHLCV bar as the API returns it (src/wire/types.ts). */
export type Bar = WireBar;
