import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startFleet, type Fleet, type FleetOptions } from '@hubemu/device-agent';
import type { Hub } from '@hubemu/hub-emulator';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const here = dirname(fileURLToPath(import.meta.url));
/** Where the screenshots of the docs go: the same run that tests the pages takes them. */
export const IMAGES = join(here, '..', '..', '..', 'docs', 'images');

export function assertDashboardBuilt(): void {
  if (!existsSync(join(here, '..', 'dist', 'index.html'))) throw new Error('The dashboard is not built: run `npm run build -w packages/dashboard` (npm test builds it).');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
}

/** A browser with a fresh profile; the hub's own CA is not in it, so its certificate errors are ignored. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'hubemu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught exceptions of a page, except the failed requests a test provokes on purpose (by status). */
export function watchConsole(page: Page): { errors: string[]; expectStatus: (status: number) => void } {
  const expected = new Set<number>();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const status = /status of (\d{3})/.exec(message.text())?.[1];
    if (status !== undefined && expected.has(Number(status))) return;
    errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { errors, expectStatus: (status) => void expected.add(status) };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: join(IMAGES, name), fullPage });
}

/** A one-time login link of the hub's dashboard (the banner's). */
export function loginUrl(hub: Hub): string {
  if (hub.dashboard.state !== 'ready') throw new Error(`the dashboard is ${hub.dashboard.state}`);
  return hub.dashboard.loginUrl();
}

/** Replaces the text of the JSON editor (CodeMirror) whose content has `id` with `text`. */
export async function setEditor(page: Page, id: string, text: string): Promise<void> {
  await page.locator(`#${id}`).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Simulated devices (our device agent) on the test hub: keys from its registry, its MQTT port and CA. */
export function startHubFleet(hub: Hub, options: Pick<FleetOptions, 'devices'> & Partial<FleetOptions>): Fleet {
  return startFleet({
    hostName: hub.hostName,
    deviceKey: (id) => hub.registry.getDevice(id).authentication.symmetricKey.primaryKey ?? undefined,
    client: { port: hub.ports.mqtt, ...(hub.caPem ? { ca: hub.caPem } : {}) },
    ...options,
  });
}
