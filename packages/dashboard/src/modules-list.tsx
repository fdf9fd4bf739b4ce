import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorLine } from './errors-view.js';
import type { Session } from './session.js';

interface Module {
  moduleId: string;
  connectionState?: string;
  managedBy?: string | null;
}

/** The module identities under a device (`GET /devices/{id}/modules`), read when the page opens or `refresh` changes. */
export function ModulesList({ session, deviceId, refresh }: { session: Session; deviceId: string; refresh: unknown }) {
  const [modules, setModules] = useState<Module[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let current = true;
    api<Module[]>(session, 'GET', `/devices/${encodeURIComponent(deviceId)}/modules`).then(
      ({ body }) => current && (setModules(body), setError(undefined)),
      (e: unknown) => current && setError(e),
    );
    return () => void (current = false);
  }, [deviceId, refresh]);
  return (
    <section aria-labelledby="modules-title">
      <h2 id="modules-title">Module identities</h2>
      <ErrorLine error={error} />
      {modules?.length === 0 && <p class="muted">No modules.</p>}
      <ul data-testid="modules">
        {modules?.map((m) => (
          <li key={m.moduleId}>
            {m.moduleId} <span class={m.connectionState === 'Connected' ? 'good' : 'muted'}>{m.connectionState}</span>
            {m.managedBy ? ` (managed by ${m.managedBy})` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
