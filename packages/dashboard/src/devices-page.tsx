import { useEffect, useState } from 'preact/hooks';
import { api, queryPage } from './api.js';
import { devicesQuery, type DeviceFilter } from './devices-query.js';
import { ErrorLine } from './errors-view.js';
import { useLatestOnly } from './latest-only.js';
import { useRefreshOn } from './live-events.js';
import { deviceHref } from './route.js';
import type { Session } from './session.js';

interface TwinRow {
  deviceId: string;
  status?: string;
  connectionState?: string;
  lastActivityTime?: string;
  modelId?: string;
  tags?: Record<string, unknown>;
}
interface Device {
  deviceId: string;
  etag: string;
  status: string;
  authentication: { symmetricKey?: { primaryKey?: string | null } };
}

const PAGE_SIZE = 100;
const FILTER_DELAY_MS = 300;
const LIVE = new Set(['identityCreated', 'identityUpdated', 'identityDeleted', 'deviceConnected', 'deviceDisconnected', 'twinUpdated']);

/** `0001-01-01...` is the service's "never". */
const when = (time: string | undefined): string => (!time || time.startsWith('0001') ? 'never' : new Date(time).toLocaleTimeString());

/** The device list: a twin query with filters, live-refreshed, with create, enable/disable, delete and copy connection string. */
export function DevicesPage({ session, condition = '' }: { session: Session; condition?: string | undefined }) {
  // What the inputs hold, and (a moment after the typing stops) the filter the list is queried with.
  const [draft, setDraft] = useState<DeviceFilter>({ prefix: '', tag: '', condition });
  const [filter, setFilter] = useState<DeviceFilter>(draft);
  useEffect(() => {
    const timer = setTimeout(() => setFilter(draft), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft]);
  const [rows, setRows] = useState<TwinRow[]>([]);
  const [continuation, setContinuation] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [newId, setNewId] = useState('');

  // Only the answer to the latest request is shown: a slower answer to an older filter is dropped.
  const latest = useLatestOnly();
  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const page = await queryPage<TwinRow>(session, devicesQuery(filter), PAGE_SIZE);
      if (!latest.isLatest(ticket)) return;
      setRows(page.rows);
      setContinuation(page.continuation);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  const more = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const page = await queryPage<TwinRow>(session, devicesQuery(filter), PAGE_SIZE, continuation);
      if (!latest.isLatest(ticket)) return;
      setRows([...rows, ...page.rows]);
      setContinuation(page.continuation);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [filter]);
  useRefreshOn((name) => LIVE.has(name), () => void load(), [filter]);

  const act = async (what: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await what();
      setNotice(done);
      setError(undefined);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const create = (event: Event): void => {
    event.preventDefault();
    const id = newId.trim();
    if (!id) return;
    void act(() => api(session, 'PUT', `/devices/${encodeURIComponent(id)}`, { body: { deviceId: id } }), `Created ${id}.`).then(() => setNewId(''));
  };
  const toggle = (id: string): Promise<void> =>
    act(async () => {
      const { body } = await api<Device>(session, 'GET', `/devices/${encodeURIComponent(id)}`);
      const status = body.status === 'disabled' ? 'enabled' : 'disabled';
      await api(session, 'PUT', `/devices/${encodeURIComponent(id)}`, { body: { ...body, status }, headers: { 'If-Match': `"${body.etag}"` } });
    }, `Changed the status of ${id}.`);
  const remove = (id: string): void => {
    if (confirm(`Delete ${id}?`)) void act(() => api(session, 'DELETE', `/devices/${encodeURIComponent(id)}`, { headers: { 'If-Match': '*' } }), `Deleted ${id}.`);
  };
  const copy = (id: string): Promise<void> =>
    act(async () => {
      const { body } = await api<Device>(session, 'GET', `/devices/${encodeURIComponent(id)}`);
      const key = body.authentication.symmetricKey?.primaryKey;
      if (!key) throw new Error(`${id} does not use SAS keys.`);
      await navigator.clipboard.writeText(`HostName=${session.hostName.replace(/:\d+$/, '')};DeviceId=${id};SharedAccessKey=${key}`);
    }, `Copied the connection string of ${id}.`);

  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter devices">
        <label>
          Id starts with <input value={draft.prefix} onInput={(e) => { const value = e.currentTarget.value; setDraft((f) => ({ ...f, prefix: value })); }} />
        </label>
        <label>
          Tag <input value={draft.tag} placeholder="location.region=US" onInput={(e) => { const value = e.currentTarget.value; setDraft((f) => ({ ...f, tag: value })); }} />
        </label>
        <label class="grow">
          Condition <input value={draft.condition} placeholder="properties.reported.telemetryConfig.status = 'Success'" onInput={(e) => { const value = e.currentTarget.value; setDraft((f) => ({ ...f, condition: value })); }} />
        </label>
      </form>
      <form class="create" onSubmit={create}>
        <label>
          New device id <input value={newId} onInput={(e) => setNewId(e.currentTarget.value)} />
        </label>
        <button type="submit">Create device</button>
      </form>
      {notice && <p role="status">{notice}</p>}
      <ErrorLine error={error} />
      <table>
        <caption>{rows.length} devices</caption>
        <thead>
          <tr>
            <th>Device</th>
            <th>Status</th>
            <th>Connection</th>
            <th>Last activity</th>
            <th>Model id</th>
            <th>Tags</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.deviceId} data-device={row.deviceId}>
              <td>
                <a href={deviceHref(row.deviceId)}>{row.deviceId}</a>
              </td>
              <td class={row.status === 'disabled' ? 'bad' : ''}>{row.status}</td>
              <td class={row.connectionState === 'Connected' ? 'good' : 'muted'}>{row.connectionState}</td>
              <td>{when(row.lastActivityTime)}</td>
              <td>{row.modelId || '—'}</td>
              <td class="json">{row.tags ? JSON.stringify(row.tags) : ''}</td>
              <td class="actions">
                <button type="button" onClick={() => void copy(row.deviceId)} aria-label={`Copy the connection string of ${row.deviceId}`}>
                  Copy cs
                </button>
                <button type="button" onClick={() => void toggle(row.deviceId)} aria-label={`${row.status === 'disabled' ? 'Enable' : 'Disable'} ${row.deviceId}`}>
                  {row.status === 'disabled' ? 'Enable' : 'Disable'}
                </button>
                <button type="button" onClick={() => remove(row.deviceId)} aria-label={`Delete ${row.deviceId}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {continuation && (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      )}
    </section>
  );
}
