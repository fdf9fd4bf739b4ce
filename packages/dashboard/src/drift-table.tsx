import { driftRows } from './drift.js';
import type { Twin } from './twin-types.js';

const show = (value: unknown): string => (value === undefined ? '—' : JSON.stringify(value));

/** Desired and reported side by side, drift highlighted, versions and `$lastUpdated` with stale reports flagged. */
export function DriftTable({ twin }: { twin: Twin }) {
  const rows = driftRows(twin.properties.desired, twin.properties.reported);
  const drifting = rows.filter((row) => row.state !== 'in sync').length;
  return (
    <table class="drift" aria-label="Desired and reported">
      <caption data-testid="drift-summary">
        desired $version {String(twin.properties.desired.$version)}, reported $version {String(twin.properties.reported.$version)}:{' '}
        {drifting === 0 ? 'no drift' : `${drifting} of ${rows.length} desired properties drift`}
      </caption>
      <thead>
        <tr>
          <th>Property</th>
          <th>Desired</th>
          <th>Reported</th>
          <th>State</th>
          <th>Desired updated</th>
          <th>Reported updated</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.path} class={row.state === 'in sync' ? '' : 'drift-row'} data-path={row.path}>
            <td>{row.path}</td>
            <td class="json">{show(row.desired)}</td>
            <td class="json">{show(row.reported)}</td>
            <td>{row.state}</td>
            <td>{row.desiredUpdated ?? '—'}</td>
            <td class={row.stale ? 'bad' : ''}>
              {row.reportedUpdated ?? '—'}
              {row.stale ? ' (stale)' : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
