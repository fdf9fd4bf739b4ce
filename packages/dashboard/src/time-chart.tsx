import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
}

/** Times (epoch seconds) and one column of values per series; `null` leaves a gap. */
export interface TimeData {
  times: number[];
  columns: Array<Array<number | null>>;
}

/** The x axis spans at least this much, so a few samples a second apart are not stretched over years. */
const MIN_SPAN_SECONDS = 30;

/** The x range: the samples' span, at least MIN_SPAN_SECONDS ending now when there are none yet. */
function xRange(_u: uPlot, min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min)) return [Date.now() / 1000 - MIN_SPAN_SECONDS, Date.now() / 1000];
  return [min, Math.max(max, min + MIN_SPAN_SECONDS)];
}

/** The series' first samples, as `label value, ...` (what the chart started from). */
const firstSample = (series: Series[], data: TimeData): string => series.map((s, i) => `${s.label} ${data.columns[i]?.[0] ?? ''}`).join(', ');

/**
 * A line chart over time (uPlot). The chart is made once per set of series and its data replaced in
 * place as samples arrive, so a page sampling for an hour redraws one bounded array.
 */
export function TimeChart({ series, data, label, testId, height = 240, fromZero = true }: { series: Series[]; data: TimeData; label: string; testId: string; height?: number; fromZero?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot>();
  const key = series.map((s) => s.label).join('\n');
  useEffect(() => {
    if (!host.current) return undefined;
    const width = Math.max(320, Math.min(1100, host.current.clientWidth || 900));
    chart.current = new uPlot(
      {
        width,
        height,
        scales: { x: { time: true, range: xRange }, y: fromZero ? { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } : { auto: true } },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
        axes: [{}, { size: 60 }],
      },
      [data.times, ...data.columns] as uPlot.AlignedData,
      host.current,
    );
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => {
    chart.current?.setData([data.times, ...data.columns] as uPlot.AlignedData);
  }, [data]);
  return <div ref={host} class="chart" role="img" aria-label={label} data-testid={testId} data-points={data.times.length} data-first={firstSample(series, data)} />;
}
