import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { Fleet } from '@hubemu/device-agent';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { assertDashboardBuilt, launchBrowser, loginUrl, screenshot, setEditor, watchConsole, startHubFleet } from './browser.js';

let hub: Hub;
let fleet: Fleet;
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  assertDashboardBuilt();
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  const thermostat = { tags: { location: { region: 'US', plant: 'Redmond43' }, model: 'thermostat' }, desired: { telemetryConfig: { sendFrequency: '5m' } } };
  for (const id of ['thermostat-1', 'thermostat-2', 'thermostat-3']) hub.createDevice(id, thermostat);
  for (const id of ['sensor-1', 'sensor-2']) hub.createDevice(id, { tags: { location: { region: 'EU', plant: 'Dublin7' }, model: 'sensor' } });
  hub.createDevice('spare-1');
  hub.registry.putModule('thermostat-2', 'sidecar', {});
  fleet = startHubFleet(hub, {
    devices: [
      { model: 'thermostat', deviceIds: ['thermostat-1', 'thermostat-2', 'thermostat-3'], modelId: 'dtmi:com:example:Thermostat;1' },
      { model: 'sensor', deviceIds: ['sensor-1', 'sensor-2'] },
    ],
  });
  await fleet.settled;
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await hub?.stop();
});


const desiredText = (sendFrequency: string, extraTags: object = {}): string =>
  JSON.stringify({ tags: { location: { region: 'US', plant: 'Redmond43' }, model: 'thermostat', ...extraTags }, properties: { desired: { telemetryConfig: { sendFrequency } } } }, null, 2);

describe('the dashboard in Chromium against a real hub', { timeout: 120_000 }, () => {
  let page: Page;
  let console: ReturnType<typeof watchConsole>;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await page.screenshot({ path: `/tmp/dashboard-failure-${context.task.name.slice(0, 20).replace(/\W/g, '_')}.png` });
  });

  it('opens from the banner login link and lists the fleet with status, connection state, model id and tags', async () => {
    page = await browser.context.newPage();
    console = watchConsole(page);
    await page.goto(loginUrl(hub));
    await expect.poll(() => page.locator('tbody tr[data-device]').count()).toBe(6);
    expect(await page.getByTestId('who').innerText()).toContain('iothubowner');
    const row = page.locator('tr[data-device="thermostat-1"]');
    await expect.poll(() => row.innerText()).toContain('Connected');
    expect(await row.innerText()).toContain('"region":"US"');
    expect(await row.innerText()).toContain('dtmi:com:example:Thermostat;1');
    expect(await page.locator('tr[data-device="spare-1"]').innerText()).toContain('Disconnected');
    expect(page.url()).not.toContain('login=');
    await screenshot(page, 'dashboard-devices.png');
  });

  it('filters the list by id prefix and by tag', async () => {
    await page.getByLabel('Tag').fill('location.region=EU');
    await page.getByLabel('Tag').press('Tab');
    await expect.poll(() => page.locator('tbody tr[data-device]').count()).toBe(2);
    await page.getByLabel('Tag').fill('');
    await page.getByLabel('Id starts with').fill('thermo');
    await page.getByLabel('Id starts with').press('Tab');
    await expect.poll(() => page.locator('tbody tr[data-device]').count()).toBe(3);
  });

  it('a slow answer to an older filter never replaces the rows of a newer one', async () => {
    // The query for the EU tag is held until the newer prefix query has been answered, then let through.
    let releaseOlder = (): void => undefined;
    const older = new Promise<void>((resolve) => (releaseOlder = resolve));
    await page.route('**/devices/query**', async (route) => {
      const body = route.request().postData() ?? '';
      if (body.includes("'EU'")) {
        await older;
        await route.fulfill({ response: await route.fetch() });
      } else if (body.includes("'thermo'")) {
        await route.fulfill({ response: await route.fetch() });
        releaseOlder();
      } else await route.continue();
    });
    const olderAnswered = page.waitForResponse((r) => r.url().includes('/devices/query') && (r.request().postData() ?? '').includes("'EU'"));
    await page.getByLabel('Id starts with').fill('');
    await page.getByLabel('Tag').fill('location.region=EU');
    await page.waitForRequest((r) => r.url().includes('/devices/query') && (r.postData() ?? '').includes("'EU'"));
    await page.getByLabel('Tag').fill('');
    await page.getByLabel('Id starts with').fill('thermo');
    await olderAnswered;
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    expect(await page.locator('tbody tr[data-device]').count()).toBe(3);
    expect(await page.locator('tr[data-device="sensor-1"]').count()).toBe(0);
    await page.unroute('**/devices/query**');
  });

  it('an edited desired property shows drift until the device reports it back, then the drift disappears', async () => {
    await page.getByRole('link', { name: 'thermostat-1' }).click();
    const drift = page.getByTestId('drift-summary');
    await expect.poll(() => drift.innerText()).toContain('no drift');
    await setEditor(page, 'twin-editor', desiredText('10m'));
    await page.getByRole('button', { name: 'Save with etag' }).click();
    await expect.poll(() => hub.getTwin('thermostat-1').properties.desired.telemetryConfig).toEqual({ sendFrequency: '10m' });
    await expect.poll(() => page.locator('tr[data-path="telemetryConfig.sendFrequency"]').innerText()).toContain('"10m"');
    await expect.poll(() => drift.innerText(), { timeout: 10_000 }).toContain('no drift');
    expect(await page.locator('tr[data-path="telemetryConfig.sendFrequency"] td:nth-child(3)').innerText()).toBe('"10m"');
    expect(await page.getByTestId('wire').innerText()).toContain('twin.patchReported');
    await screenshot(page, 'dashboard-device.png');
  });

  it('a save against a twin that changed meanwhile is a 412 conflict showing both versions, and nothing is overwritten', async () => {
    console.expectStatus(412);
    await setEditor(page, 'twin-editor', desiredText('15m'));
    hub.updateTwin('thermostat-1', { tags: { owner: 'someone else' } });
    await page.getByRole('button', { name: 'Save with etag' }).click();
    const conflict = page.getByRole('region', { name: 'Conflict' });
    await conflict.waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('412 PreconditionFailed');
    expect(await page.getByTestId('conflict-yours').innerText()).toContain('15m');
    expect(await page.getByTestId('conflict-theirs').innerText()).toContain('someone else');
    expect(hub.getTwin('thermostat-1').tags).toMatchObject({ owner: 'someone else' });
    expect(hub.getTwin('thermostat-1').properties.desired.telemetryConfig).toEqual({ sendFrequency: '10m' });
    await screenshot(page, 'dashboard-conflict.png', true);
    await page.getByRole('button', { name: "Take the hub's version" }).click();
    await expect.poll(() => conflict.count()).toBe(0);
  });

  it('invokes a direct method and shows the answer, and a method on an offline device shows its error code', async () => {
    await page.getByLabel('Method name').fill('reboot');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await expect.poll(() => page.getByTestId('method-answer').innerText()).toMatch(/^status 200/);
    console.expectStatus(404);
    await page.goto(`${new URL(page.url()).origin}/#/devices/spare-1`);
    await page.getByRole('button', { name: 'Invoke' }).click();
    await expect.poll(() => page.getByTestId('method-answer').innerText()).toContain('404 DeviceNotOnline');
  });

  it('runs a GROUP BY query and shows the rows and a bar chart; a bad query shows the error at its position', async () => {
    await page.getByRole('link', { name: 'Query' }).click();
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.getByTestId('group-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('group-chart').getAttribute('aria-label')).toMatch(/Success 5/);
    expect(await page.getByTestId('query-rows').innerText()).toContain('Success');
    await screenshot(page, 'dashboard-query.png');

    console.expectStatus(400);
    await page.locator('#query-text').fill('SELECT * FROM devices WHERE tags.x = ');
    await page.getByRole('button', { name: 'Run query' }).click();
    expect(await page.getByRole('alert').innerText()).toMatch(/400 \w+: .*position \d+/);
    await page.getByTestId('query-error-position').locator('mark').waitFor();
  });

  it('a registryRead login from a pasted connection string can look but not change a twin', async () => {
    const reader = await browser.context.newPage();
    const readerConsole = watchConsole(reader);
    readerConsole.expectStatus(401);
    // A new tab has its own sessionStorage: it starts signed out.
    await reader.goto(`${new URL(page.url()).origin}/#/devices/thermostat-2`);
    await reader.getByLabel('Policy connection string').fill(hub.connectionString('registryRead'));
    await reader.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => reader.getByTestId('who').innerText()).toContain('registryRead');
    await expect.poll(() => reader.getByTestId('drift-summary').count()).toBe(1);
    await expect.poll(() => reader.getByTestId('modules').innerText()).toContain('sidecar');
    const before = hub.getTwin('thermostat-2');
    await setEditor(reader, 'twin-editor', desiredText('1h'));
    await reader.getByRole('button', { name: 'Save with etag' }).click();
    await expect.poll(() => reader.getByRole('alert').innerText()).toContain('401 IotHubUnauthorizedAccess');
    expect(hub.getTwin('thermostat-2').etag).toBe(before.etag);
    expect(readerConsole.errors).toEqual([]);
    await reader.close();
  });

  it('logs no console error on any page', () => {
    expect(console.errors).toEqual([]);
  });
});
