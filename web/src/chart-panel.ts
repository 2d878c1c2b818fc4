// The chart of the selected symbol: candles or a line of closes, a volume histogram beneath, and the
// previous close as a dashed price line that the price scale always includes. Drawn with
// lightweight-charts (bundled locally). Times are shown in the exchange's time zone when known.
// Redraws at most once per animation frame: `series.update()` for the bars that changed, a full
// `setData` only when the whole history is replaced.
import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  LineSeries,
  LineStyle,
  TickMarkType,
  type AutoscaleInfo,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Bar } from './wire.js';

export type ChartKind = 'line' | 'candles';

export interface ChartColors {
  up: string;
  down: string;
  text: string;
  grid: string;
  accent: string;
  muted: string;
}

type PriceSeries = ISeriesApi<'Line'> | ISeriesApi<'Candlestick'>;

/** Intl formatters for one time zone (undefined = the viewer's own), made once per zone. */
interface ZoneFormat {
  hm: Intl.DateTimeFormat;
  hms: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  month: Intl.DateTimeFormat;
  year: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

function zoneFormat(timeZone: string | undefined): ZoneFormat {
  const tz = timeZone === undefined ? {} : { timeZone };
  const clock = { hourCycle: 'h23', ...tz } as const;
  return {
    hm: new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', ...clock }),
    hms: new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', ...clock }),
    day: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', ...tz }),
    month: new Intl.DateTimeFormat('en-GB', { month: 'short', ...tz }),
    year: new Intl.DateTimeFormat('en-GB', { year: 'numeric', ...tz }),
    full: new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', ...clock }),
  };
}

function toMs(time: Time): number {
  return typeof time === 'number' ? time * 1000 : Date.parse(typeof time === 'string' ? time : `${time.year}-${time.month}-${time.day}`);
}

/** `#rrggbb` plus an alpha byte; any other colour syntax is returned unchanged. */
function withAlpha(color: string, alpha: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}${alpha}` : color;
}

export class ChartPanel {
  private readonly chart: IChartApi;
  private series: PriceSeries | null = null;
  private volume: ISeriesApi<'Histogram'> | null = null;
  private prevCloseLine: IPriceLine | null = null;
  private prevClose: number | null = null;
  private bars: readonly Bar[] = [];
  /** Bars already handed to the chart; the last of them may have changed since. */
  private shown = 0;
  private fullRedraw = false;
  private frameRequested = false;
  private format = zoneFormat(undefined);
  private timeZone: string | null = null;

  constructor(
    container: HTMLElement,
    private kind: ChartKind,
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
      rightPriceScale: { borderColor: colors.grid, scaleMargins: { top: 0.08, bottom: 0.22 } },
      timeScale: {
        borderColor: colors.grid,
        timeVisible: true,
        secondsVisible: false,
        rightOffset: 4,
        barSpacing: 6,
        tickMarkFormatter: (time: Time, type: TickMarkType) => this.tickMark(time, type),
      },
      localization: { timeFormatter: (time: Time) => this.format.full.format(toMs(time)) },
      crosshair: { mode: 0 },
    });
    this.rebuildSeries();
  }

  /** Replaces the whole history (a symbol, timeframe or epoch change, or a reconnect). */
  setBars(bars: readonly Bar[], secondsVisible: boolean): void {
    this.bars = bars;
    this.chart.applyOptions({ timeScale: { secondsVisible } });
    this.fullRedraw = true;
    this.drawNow();
    this.chart.timeScale().scrollToRealTime();
  }

  /** No history to show (no symbol, or waiting for it). */
  clear(): void {
    this.bars = [];
    this.fullRedraw = true;
    this.drawNow();
  }

  /** The bars passed to setBars changed at the end (a live fold): redraw on the next frame. */
  barsChanged(trimmed: boolean): void {
    if (trimmed) this.fullRedraw = true;
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(this.draw);
  }

  setKind(kind: ChartKind): void {
    if (kind === this.kind) return;
    this.kind = kind;
    this.rebuildSeries();
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.chart.applyOptions({
      layout: { textColor: colors.text },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    });
    this.rebuildSeries();
  }

  /** The exchange's time zone for the axis and the crosshair (null: the viewer's own). */
  setTimeZone(timeZone: string | null): void {
    if (timeZone === this.timeZone) return;
    this.timeZone = timeZone;
    this.format = zoneFormat(timeZone ?? undefined);
    // Formatters are read on every paint; a no-op option change makes the chart repaint with the new zone.
    this.chart.applyOptions({ localization: { timeFormatter: (time: Time) => this.format.full.format(toMs(time)) } });
  }

  setPrevClose(prevClose: number | null): void {
    if (prevClose === this.prevClose) return;
    this.prevClose = prevClose;
    this.drawPrevClose();
  }

  /** Draws now what the next frame would draw (so a reader sees the model and the chart in step). */
  flushPending(): void {
    if (this.frameRequested || this.fullRedraw) this.drawNow();
  }

  /** What the chart holds now (the test hook compares it with the model). */
  seriesData(): { time: number; open?: number; high?: number; low?: number; close?: number; value?: number }[] {
    return (this.series?.data() ?? []).map((d) => ({ ...(d as object), time: Number((d as { time: Time }).time) }));
  }

  /** Where the previous-close line is drawn, and the pane's height (both in CSS px), for the test hook. */
  prevCloseGeometry(): { y: number | null; height: number } {
    const y = this.prevClose === null || this.series === null ? null : this.series.priceToCoordinate(this.prevClose);
    return { y, height: this.chart.paneSize().height };
  }

  private tickMark(time: Time, type: TickMarkType): string {
    const ms = toMs(time);
    switch (type) {
      case TickMarkType.Year:
        return this.format.year.format(ms);
      case TickMarkType.Month:
        return this.format.month.format(ms);
      case TickMarkType.DayOfMonth:
        return this.format.day.format(ms);
      case TickMarkType.Time:
        return this.format.hm.format(ms);
      case TickMarkType.TimeWithSeconds:
        return this.format.hms.format(ms);
    }
  }

  private readonly draw = (): void => {
    this.frameRequested = false;
    this.drawNow();
  };

  private drawNow(): void {
    const series = this.series;
    const volume = this.volume;
    if (series === null || volume === null) return;
    const bars = this.bars;
    if (this.fullRedraw || bars.length < this.shown) {
      this.fullRedraw = false;
      series.setData(bars.map((b) => this.point(b)) as never);
      volume.setData(bars.map((b) => this.volumePoint(b)));
    } else {
      // The last bar shown may have grown, and bars may have been appended: update them in order.
      for (let i = Math.max(0, this.shown - 1); i < bars.length; i++) {
        series.update(this.point(bars[i]!) as never);
        volume.update(this.volumePoint(bars[i]!));
      }
    }
    this.shown = bars.length;
  }

  private point(bar: Bar): { time: UTCTimestamp; value: number } | { time: UTCTimestamp; open: number; high: number; low: number; close: number } {
    const time = (bar.t / 1000) as UTCTimestamp;
    if (this.kind === 'line') return { time, value: bar.c };
    return { time, open: bar.o, high: bar.h, low: bar.l, close: bar.c };
  }

  private volumePoint(bar: Bar): { time: UTCTimestamp; value: number; color: string } {
    const color = bar.c >= bar.o ? this.colors.up : this.colors.down;
    return { time: (bar.t / 1000) as UTCTimestamp, value: bar.v, color: withAlpha(color, '59') };
  }

  /** Includes the previous close in the price range, so its line is always on screen. */
  private readonly autoscale = (original: () => AutoscaleInfo | null): AutoscaleInfo | null => {
    const info = original();
    const p = this.prevClose;
    if (p === null) return info;
    if (info === null || info.priceRange === null) return { priceRange: { minValue: p, maxValue: p } };
    return {
      ...info,
      priceRange: { minValue: Math.min(info.priceRange.minValue, p), maxValue: Math.max(info.priceRange.maxValue, p) },
    };
  };

  private rebuildSeries(): void {
    if (this.series !== null) this.chart.removeSeries(this.series);
    if (this.volume !== null) this.chart.removeSeries(this.volume);
    this.prevCloseLine = null;
    const { up, down, accent } = this.colors;
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    this.series =
      this.kind === 'line'
        ? this.chart.addSeries(LineSeries, { color: accent, lineWidth: 2, priceLineVisible: true, lastValueVisible: true, autoscaleInfoProvider: this.autoscale })
        : this.chart.addSeries(CandlestickSeries, {
            upColor: up,
            downColor: down,
            borderUpColor: up,
            borderDownColor: down,
            wickUpColor: up,
            wickDownColor: down,
            autoscaleInfoProvider: this.autoscale,
          });
    this.drawPrevClose();
    this.fullRedraw = true;
    this.drawNow();
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
    // The autoscale provider reads prevClose: ask the price scale to fit again.
    this.chart.priceScale('right').applyOptions({ autoScale: true });
  }
}
