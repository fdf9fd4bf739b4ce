import { useEffect, useState } from 'preact/hooks';
import { CompliancePage } from './compliance-page.js';
import { ConfigurationsPage } from './configurations-page.js';
import { DevicePage } from './device-page.js';
import { DevicesPage } from './devices-page.js';
import { connectLiveEvents } from './live-events.js';
import { JobsPage } from './jobs-page.js';
import { LoginPage } from './login-page.js';
import { QueryPage } from './query-page.js';
import { useRoute, type Route } from './route.js';
import { loadSession, saveSession, type Session } from './session.js';
import { TelemetryPage } from './telemetry-page.js';

/** The navigation: each link and the pages it is current for. */
const NAV: Array<{ href: string; label: string; pages: Array<Route['page']> }> = [
  { href: '#/devices', label: 'Devices', pages: ['devices', 'device'] },
  { href: '#/query', label: 'Query', pages: ['query'] },
  { href: '#/jobs', label: 'Jobs', pages: ['jobs'] },
  { href: '#/configurations', label: 'Configurations', pages: ['configurations'] },
  { href: '#/compliance', label: 'Compliance', pages: ['compliance'] },
  { href: '#/telemetry', label: 'Telemetry', pages: ['telemetry'] },
];

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
          {NAV.map((link) => (
            <a key={link.href} href={link.href} aria-current={link.pages.includes(route.page) ? 'page' : undefined}>
              {link.label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {session.hostName} as <b>{session.policyName}</b>
        </span>
        <button type="button" onClick={() => signIn(undefined)}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'devices' && <DevicesPage session={session} condition={route.condition} key={route.condition ?? ''} />}
        {route.page === 'device' && <DevicePage session={session} deviceId={route.deviceId} key={route.deviceId} />}
        {route.page === 'query' && <QueryPage session={session} />}
        {route.page === 'jobs' && <JobsPage session={session} jobId={route.jobId} />}
        {route.page === 'configurations' && <ConfigurationsPage session={session} configurationId={route.configurationId} />}
        {route.page === 'compliance' && <CompliancePage session={session} />}
        {route.page === 'telemetry' && <TelemetryPage />}
      </main>
    </div>
  );
}
