import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { DriftTable } from './drift-table.js';
import { ErrorLine } from './errors-view.js';
import { useLatestOnly } from './latest-only.js';
import { useLiveEvents, useRefreshOn, type RequestEvent, type TelemetryEvent } from './live-events.js';
import { MethodForm } from './method-form.js';
import { ModulesList } from './modules-list.js';
import type { Session } from './session.js';
import { TwinEdit } from './twin-edit.js';
import type { Twin } from './twin-types.js';

/** Most telemetry messages and wire records the page keeps for one device (the oldest go). */
const KEEP = 20;
const keepLast = <T,>(list: T[], item: T): T[] => [item, ...list].slice(0, KEEP);
const forDevice = (deviceId: string) => (name: string, data: unknown): boolean =>
  ['twinUpdated', 'deviceConnected', 'deviceDisconnected', 'identityUpdated'].includes(name) && (data as { deviceId?: string }).deviceId === deviceId;

/** One device: its twin as the service returns it, drift, the editor, a direct method, live telemetry and what crossed the wire. */
export function DevicePage({ session, deviceId }: { session: Session; deviceId: string }) {
  const [twin, setTwin] = useState<Twin>();
  const [error, setError] = useState<unknown>();
  const [telemetry, setTelemetry] = useState<TelemetryEvent[]>([]);
  const [wire, setWire] = useState<RequestEvent[]>([]);
  const path = `/twins/${encodeURIComponent(deviceId)}`;
  // Twin reads overlap when events come fast: only the newest read's answer is shown, never an older twin after a newer one.
  const latest = useLatestOnly();
  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const { body } = await api<Twin>(session, 'GET', path);
      if (!latest.isLatest(ticket)) return;
      setTwin(body);
      setError(undefined);
    } catch (e) {
      if (latest.isLatest(ticket)) setError(e);
    }
  };
  useEffect(() => void load(), []);
  useRefreshOn(forDevice(deviceId), () => void load(), [], 200);
  useLiveEvents((name, data) => {
    if (name === 'telemetry' && (data as TelemetryEvent).deviceId === deviceId) setTelemetry((list) => keepLast(list, data as TelemetryEvent));
    if (name === 'request' && (data as RequestEvent).deviceId === deviceId) setWire((list) => keepLast(list, data as RequestEvent));
  }, []);

  return (
    <section aria-labelledby="device-title">
      <h1 id="device-title">{deviceId}</h1>
      <p>
        <a href="#/devices">All devices</a>
      </p>
      <ErrorLine error={error} />
      {twin && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>{twin.status}</dd>
            <dt>Connection</dt>
            <dd data-testid="connection-state">{twin.connectionState}</dd>
            <dt>Model id</dt>
            <dd>{twin.modelId || '—'}</dd>
            <dt>Twin version</dt>
            <dd>{twin.version}</dd>
          </dl>
          <DriftTable twin={twin} />
          <div class="columns">
            <TwinEdit session={session} twin={twin} onSaved={setTwin} />
            <div>
              <MethodForm session={session} deviceId={deviceId} />
              <ModulesList session={session} deviceId={deviceId} refresh={twin.etag} />
              <details>
                <summary>The twin as the service returns it</summary>
                <pre class="json" data-testid="twin-json">{JSON.stringify(twin, null, 2)}</pre>
              </details>
            </div>
          </div>
        </>
      )}
      <div class="columns">
        <section aria-labelledby="telemetry-title">
          <h2 id="telemetry-title">Last telemetry (live)</h2>
          {telemetry.length === 0 && <p class="muted">No message since this page opened.</p>}
          <ul class="log">
            {telemetry.map((m) => (
              <li key={m.receivedAt + m.body}>
                <time>{m.receivedAt}</time> <code>{m.body}</code>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="wire-title">
          <h2 id="wire-title">On the wire (live)</h2>
          {wire.length === 0 && <p class="muted">No request since this page opened.</p>}
          <ul class="log" data-testid="wire">
            {wire.map((r, i) => (
              <li key={`${r.at}-${i}`} class={r.status >= 400 ? 'bad' : ''}>
                <time>{r.at}</time> {r.plane} {r.operation} {r.status}
                {r.errorCode ? ` ${r.errorCode}` : ''} {r.principal ? `by ${r.principal}` : ''}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}
