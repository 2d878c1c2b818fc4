// The chart, loaded after the rest of the page: lightweight-charts is most of the dashboard's
// JavaScript, so it is a separate chunk fetched by a dynamic import while the socket connects and the
// table fills. Until it arrives this stand-in keeps what the chart should show (bars, previous close,
// time zone, kind, colours) and hands it over at once when the chart is created.
import type { ChartColors, ChartKind, ChartPanel } from './chart-panel.js';
import type { Bar } from './wire.js';

/** What ChartFeed draws through (the real panel or this stand-in). */
export interface BarsView {
  setBars(bars: readonly Bar[], secondsVisible: boolean): void;
  clear(): void;
  barsChanged(trimmed: boolean): void;
}

export class LazyChart implements BarsView {
  private panel: ChartPanel | null = null;
  private bars: readonly Bar[] = [];
  private secondsVisible = false;
  private timeZone: string | null = null;
  private prevClose: number | null = null;
  /** performance.now() when the first history was painted (null before). */
  firstHistoryAt: number | null = null;

  constructor(
    container: HTMLElement,
    private kind: ChartKind,
    private colors: ChartColors,
    onError: (err: unknown) => void,
  ) {
    import('./chart-panel.js').then(({ ChartPanel }) => {
      const panel = new ChartPanel(container, this.kind, this.colors);
      panel.setTimeZone(this.timeZone);
      panel.setPrevClose(this.prevClose);
      this.panel = panel;
      if (this.bars.length > 0) this.draw();
    }, onError);
  }

  get ready(): boolean {
    return this.panel !== null;
  }

  setBars(bars: readonly Bar[], secondsVisible: boolean): void {
    this.bars = bars;
    this.secondsVisible = secondsVisible;
    if (this.panel !== null) this.draw();
  }

  clear(): void {
    this.bars = [];
    this.panel?.clear();
  }

  barsChanged(trimmed: boolean): void {
    this.panel?.barsChanged(trimmed);
  }

  setKind(kind: ChartKind): void {
    this.kind = kind;
    this.panel?.setKind(kind);
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.panel?.setColors(colors);
  }

  setTimeZone(timeZone: string | null): void {
    this.timeZone = timeZone;
    this.panel?.setTimeZone(timeZone);
  }

  setPrevClose(prevClose: number | null): void {
    this.prevClose = prevClose;
    this.panel?.setPrevClose(prevClose);
  }

  flushPending(): void {
    this.panel?.flushPending();
  }

  seriesData(): ReturnType<ChartPanel['seriesData']> {
    return this.panel?.seriesData() ?? [];
  }

  prevCloseGeometry(): ReturnType<ChartPanel['prevCloseGeometry']> {
    return this.panel?.prevCloseGeometry() ?? { y: null, height: 0 };
  }

  private draw(): void {
    this.panel!.setBars(this.bars, this.secondsVisible);
    // When the frame showing it has been painted (a task queued from rAF runs after that frame).
    if (this.firstHistoryAt === null && this.bars.length > 0) {
      requestAnimationFrame(() => setTimeout(() => (this.firstHistoryAt ??= performance.now()), 0));
    }
  }
}
