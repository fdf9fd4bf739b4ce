import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Bar {
  label: string;
  value: number;
}

/** The groups of a `GROUP BY` result as a bar chart (uPlot), labelled by their group values. */
export function GroupChart({ bars }: { bars: Bar[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return undefined;
    const xs = bars.map((_, i) => i);
    const chart = new uPlot(
      {
        width: Math.min(900, Math.max(320, bars.length * 90)),
        height: 260,
        legend: { show: false },
        scales: { x: { time: false, range: [-0.6, bars.length - 0.4] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{ values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (bars[s]?.label ?? '') : '')), splits: () => xs, gap: 6 }, {}],
        series: [{}, { label: 'count', fill: 'rgba(37, 99, 235, 0.6)', stroke: '#2563eb', paths: uPlot.paths.bars?.({ size: [0.6, 80] }), points: { show: false } }],
      },
      [xs, bars.map((b) => b.value)],
      host.current,
    );
    return () => chart.destroy();
  }, [bars]);
  return <div ref={host} role="img" aria-label={`Bar chart: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`} data-testid="group-chart" />;
}

/** Bars from GROUP BY rows: the first numeric column is the height, the other columns (the group keys) the label; a missing key is `(none)`. */
export function barsOf(rows: Array<Record<string, unknown>>): Bar[] {
  const first = rows[0];
  const measure = first ? Object.keys(first).find((key) => typeof first[key] === 'number') : undefined;
  if (measure === undefined) return [];
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((key) => key !== measure);
  return rows.map((row) => ({
    label: keys.map((key) => (row[key] === undefined ? '(none)' : typeof row[key] === 'string' ? row[key] : JSON.stringify(row[key]))).join(' / ') || measure,
    value: typeof row[measure] === 'number' ? row[measure] : 0,
  }));
}
