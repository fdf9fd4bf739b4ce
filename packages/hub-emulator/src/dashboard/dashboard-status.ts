import type { DashboardFiles } from './static-dir.js';
import type { LoginTokens } from './login-tokens.js';

/** What `hub.dashboard` tells: off, on but not built (the hub runs without it), or ready with a login URL to mint. */
export type DashboardStatus =
  | { state: 'off' }
  | { state: 'not-built'; dir: string }
  | { state: 'ready'; url: string; loginUrl(): string };

/** The dashboard's status for a hub whose HTTPS base URL is `baseUrl`. */
export function dashboardStatus(enabled: boolean, files: DashboardFiles, logins: LoginTokens, baseUrl: string): DashboardStatus {
  if (!enabled) return { state: 'off' };
  if (!files.built) return { state: 'not-built', dir: files.dir };
  const url = `${baseUrl}/`;
  // The token rides in the fragment: the browser never sends it in a GET, so it reaches no log.
  return { state: 'ready', url, loginUrl: () => `${url}#login=${logins.mint()}` };
}
