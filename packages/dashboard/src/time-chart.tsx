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

/**
 * Draws `data` with the x axis spanning at least `minSpan` seconds. uPlot would spread a single sample
 * over years (it pads a lone value by its magnitude), so the range is set here rather than left to it.
 */
function draw(chart: uPlot, data: TimeData, minSpan: number): void {
  chart.setData([data.times, ...data.columns] as uPlot.AlignedData);
  const first = data.times[0];
  const last = data.times[data.times.length - 1];
  const max = last === undefined ? Date.now() / 1000 : Math.max(last, (first ?? last) + minSpan);
  chart.setScale('x', { min: first === undefined ? max - minSpan : Math.min(first, max - minSpan), max });
}

/** The series' first samples, as `label value, ...` (what the chart started from). */
const firstSample = (series: Series[], data: TimeData): string => series.map((s, i) => `${s.label} ${data.columns[i]?.[0] ?? ''}`).join(', ');

/**
 * A line chart over time (uPlot). The chart is made once per set of series and its data replaced in
 * place as samples arrive, so a page sampling for an hour redraws one bounded array.
 */
export function TimeChart(props: { series: Series[]; data: TimeData; label: string; testId: string; height?: number; fromZero?: boolean; minSpanSeconds?: number }) {
  const { series, data, label, testId, height = 240, fromZero = true, minSpanSeconds = 30 } = props;
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
        scales: { x: { time: true }, y: fromZero ? { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } : { auto: true } },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
        axes: [{}, { size: 60 }],
      },
      [data.times, ...data.columns] as uPlot.AlignedData,
      host.current,
    );
    draw(chart.current, data, minSpanSeconds);
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => {
    if (chart.current) draw(chart.current, data, minSpanSeconds);
  }, [data]);
  return <div ref={host} class="chart" role="img" aria-label={label} data-testid={testId} data-points={data.times.length} data-first={firstSample(series, data)} />;
}
