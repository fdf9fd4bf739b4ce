import { useEffect, useState } from 'preact/hooks';
import { DevicePage } from './device-page.js';
import { DevicesPage } from './devices-page.js';
import { connectLiveEvents } from './live-events.js';
import { LoginPage } from './login-page.js';
import { QueryPage } from './query-page.js';
import { useRoute } from './route.js';
import { loadSession, saveSession, type Session } from './session.js';

/** The shell: login until there is a session, then the navigation and the page the hash names. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const route = useRoute();
  useEffect(() => {
    if (!session) return undefined;
    const stop = new AbortController();
    connectLiveEvents(session, stop.signal);
    return () => stop.abort();
  }, [session]);

  const signIn = (next: Session | undefined): void => {
    saveSession(next);
    setSession(next);
  };
  if (!session) return <LoginPage onSession={signIn} />;
  return (
    <div class="shell">
      <header>
        <strong>hubemu</strong>
        <nav aria-label="Pages">
          <a href="#/devices" aria-current={route.page !== 'query' ? 'page' : undefined}>Devices</a>
          <a href="#/query" aria-current={route.page === 'query' ? 'page' : undefined}>Query</a>
        </nav>
        <span class="who" data-testid="who">
          {session.hostName} as <b>{session.policyName}</b>
        </span>
        <button type="button" onClick={() => signIn(undefined)}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'devices' && <DevicesPage session={session} />}
        {route.page === 'device' && <DevicePage session={session} deviceId={route.deviceId} key={route.deviceId} />}
        {route.page === 'query' && <QueryPage session={session} />}
      </main>
    </div>
  );
}
