// Market sessions from GET /api/markets: which market an exchange trades on, its session state and
// its local time. Fetched on load and every 30 s (sooner when the server says the state changes
// earlier). The local time is computed here every second from the server's clock, so it never waits
// for the next fetch.
import type { MarketInfo, MarketsResponse, SessionState } from './wire.js';

const REFRESH_MS = 30_000;
const RETRY_MS = 60_000;

export interface MarketView {
  readonly market: MarketInfo;
  readonly alwaysOpen: boolean;
}

export class Markets {
  private byExchange = new Map<string, MarketInfo>();
  private alwaysOpen = false;
  /** server clock − local clock, ms (from the `now` of the last answer). */
  private skewMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly clocks = new Map<string, Intl.DateTimeFormat>();
  /** True once an answer arrived (a server without /api/markets gives no session badges). */
  loaded = false;

  constructor(
    private readonly url: string,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    void this.refresh();
  }

  /** The market an exchange (symbol info `exchange`) trades on; undefined when it is not listed. */
  forExchange(exchange: string | undefined): MarketView | undefined {
    if (exchange === undefined) return undefined;
    const market = this.byExchange.get(exchange.toUpperCase());
    return market === undefined ? undefined : { market, alwaysOpen: this.alwaysOpen };
  }

  /** The market's wall-clock time now, `HH:MM:SS`. */
  localTime(market: MarketInfo): string {
    let clock = this.clocks.get(market.timeZone);
    if (clock === undefined) {
      try {
        clock = new Intl.DateTimeFormat('en-GB', { timeZone: market.timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
      } catch {
        return market.localTime.slice(-8); // an unknown zone: the server's own text, as of the last fetch
      }
      this.clocks.set(market.timeZone, clock);
    }
    return clock.format(Date.now() + this.skewMs);
  }

  private async refresh(): Promise<void> {
    clearTimeout(this.timer);
    let next = RETRY_MS;
    try {
      const response = await fetch(this.url, { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as MarketsResponse;
      if (!Array.isArray(body.markets)) throw new Error('no markets');
      this.byExchange = new Map();
      for (const m of body.markets) for (const e of m.exchanges ?? []) this.byExchange.set(e.toUpperCase(), m);
      this.alwaysOpen = body.alwaysOpen === true;
      if (typeof body.now === 'number') this.skewMs = body.now - Date.now();
      this.loaded = true;
      next = REFRESH_MS;
      // Refresh right after the next state change when it comes before the regular refresh.
      const now = Date.now() + this.skewMs;
      for (const m of body.markets) {
        if (typeof m.nextChange === 'number' && m.nextChange > now) next = Math.min(next, m.nextChange - now + 500);
      }
    } catch {
      // Keep what we had (badges of the last answer); try again later.
    }
    this.onChange();
    this.timer = setTimeout(() => void this.refresh(), Math.max(1000, next));
  }
}

/** Human words for a session state. */
export const SESSION_LABEL: Readonly<Record<SessionState, string>> = {
  'pre-open': 'pre-open',
  open: 'open',
  break: 'break',
  closed: 'closed',
};

/** The tooltip of a row's session badge, e.g. "US equities (America/New_York) · open · 10:31:02 local". */
export function sessionTitle(view: MarketView, localTime: string): string {
  const { market, alwaysOpen } = view;
  const hours = market.sessions.map((s) => `${s.open}–${s.close}`).join(', ');
  const real =
    market.exchangeState !== market.state
      ? alwaysOpen
        ? ` (simulated feed always open; the exchange itself is ${market.exchangeState})`
        : ` (exchange: ${market.exchangeState})`
      : '';
  return `${market.name}: ${market.state}${real} · ${localTime} in ${market.timeZone} · sessions ${hours}`;
}
