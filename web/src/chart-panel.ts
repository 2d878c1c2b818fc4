// The chart of the selected symbol: intraday line or candles from the BarStore, drawn with
// lightweight-charts (bundled locally). Redraws at most once per animation frame.
import {
  CandlestickSeries,
  ColorType,
  createChart,
  LineSeries,
  LineStyle,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Bar, BarStore, Resolution } from './bars.js';

export type ChartKind = 'line' | 'candles';

export interface ChartColors {
  up: string;
  down: string;
  text: string;
  grid: string;
  accent: string;
  muted: string;
}

export class ChartPanel {
  private readonly chart: IChartApi;
  private series: ISeriesApi<'Line'> | ISeriesApi<'Candlestick'> | null = null;
  private prevCloseLine: IPriceLine | null = null;
  private symbol: string | null = null;
  private prevClose: number | null = null;
  private dirty = false;
  private frameRequested = false;
  private shownBars = 0;

  constructor(
    container: HTMLElement,
    private readonly store: BarStore,
    private kind: ChartKind,
    private resolution: Resolution,
    private colors: ChartColors,
  ) {
    this.chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: colors.text,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontSize: 11,
        attributionLogo: false,
      },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
      rightPriceScale: { borderColor: colors.grid },
      timeScale: { borderColor: colors.grid, timeVisible: true, secondsVisible: true, rightOffset: 4, barSpacing: 9 },
      crosshair: { mode: 0 },
    });
    this.rebuildSeries();
  }

  get selected(): string | null {
    return this.symbol;
  }

  show(symbol: string | null, prevClose: number | null): void {
    this.symbol = symbol;
    this.prevClose = prevClose;
    this.rebuildSeries();
  }

  setKind(kind: ChartKind): void {
    if (kind === this.kind) return;
    this.kind = kind;
    this.rebuildSeries();
  }

  setResolution(resolution: Resolution): void {
    if (resolution === this.resolution) return;
    this.resolution = resolution;
    this.rebuildSeries();
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.rebuildSeries();
  }

  setPrevClose(prevClose: number): void {
    if (prevClose === this.prevClose) return;
    this.prevClose = prevClose;
    this.drawPrevClose();
  }

  /** The selected symbol got a new tick: redraw on the next frame. */
  touch(symbol: string): void {
    if (symbol !== this.symbol) return;
    this.dirty = true;
    if (!this.frameRequested) {
      this.frameRequested = true;
      requestAnimationFrame(this.draw);
    }
  }

  private readonly draw = (): void => {
    this.frameRequested = false;
    if (!this.dirty || this.series === null || this.symbol === null) return;
    this.dirty = false;
    const bars = this.store.get(this.symbol, this.resolution);
    if (bars.length === 0) {
      // Bars were cleared (a new stream epoch): start an empty chart rather than keep stale candles.
      if (this.shownBars !== 0) this.series.setData([]);
      this.shownBars = 0;
      return;
    }
    // Only the newest bar changes between frames; a full setData is needed when bars were trimmed
    // or several new bars appeared since the last draw.
    if (bars.length === this.shownBars || bars.length === this.shownBars + 1) {
      this.series.update(this.toPoint(bars[bars.length - 1]!) as never);
    } else {
      this.series.setData(bars.map((b) => this.toPoint(b)) as never);
    }
    this.shownBars = bars.length;
  };

  private toPoint(bar: Bar): { time: UTCTimestamp; value: number } | (Bar & { time: UTCTimestamp }) {
    if (this.kind === 'line') return { time: bar.time as UTCTimestamp, value: bar.close };
    return { time: bar.time as UTCTimestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  }

  private rebuildSeries(): void {
    if (this.series !== null) this.chart.removeSeries(this.series);
    this.prevCloseLine = null;
    const { up, down, accent } = this.colors;
    this.series =
      this.kind === 'line'
        ? this.chart.addSeries(LineSeries, { color: accent, lineWidth: 2, priceLineVisible: true, lastValueVisible: true })
        : this.chart.addSeries(CandlestickSeries, {
            upColor: up,
            downColor: down,
            borderUpColor: up,
            borderDownColor: down,
            wickUpColor: up,
            wickDownColor: down,
          });
    this.shownBars = 0;
    this.drawPrevClose();
    if (this.symbol !== null) {
      const bars = this.store.get(this.symbol, this.resolution);
      this.series.setData(bars.map((b) => this.toPoint(b)) as never);
      this.shownBars = bars.length;
    }
    this.chart.timeScale().scrollToRealTime();
  }

  private drawPrevClose(): void {
    if (this.series === null) return;
    if (this.prevCloseLine !== null) this.series.removePriceLine(this.prevCloseLine);
    this.prevCloseLine =
      this.prevClose === null
        ? null
        : this.series.createPriceLine({
            price: this.prevClose,
            color: this.colors.muted,
            lineWidth: 1,
            lineStyle: LineStyle.Dashed,
            axisLabelVisible: true,
            title: 'prev close',
          });
  }
}
