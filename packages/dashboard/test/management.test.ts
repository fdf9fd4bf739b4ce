import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { telemetryConfig, type Fleet, type SimulatedDevice } from '@hubemu/device-agent';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { assertDashboardBuilt, launchBrowser, loginUrl, screenshot, setEditor, watchConsole, startHubFleet } from './browser.js';

/**
 * A known fleet for the management pages. Against desired `telemetryConfig`:
 * ok-1, ok-2 apply it (reported Success), bad-1 fails it (an unparseable sendFrequency), slow-1 stays
 * Pending (connected), gone-1 never connects (offline, stale), spare-1 has none (not targeted).
 */
let hub: Hub;
let fleet: Fleet;
let browser: { context: BrowserContext; close: () => Promise<void> };
const devices = new Map<string, SimulatedDevice>();

beforeAll(async () => {
  assertDashboardBuilt();
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  const desired = (sendFrequency: string): { telemetryConfig: { sendFrequency: string } } => ({ telemetryConfig: { sendFrequency } });
  for (const id of ['ok-1', 'ok-2']) hub.createDevice(id, { tags: { model: 'thermostat' }, desired: desired('5m') });
  hub.createDevice('bad-1', { tags: { model: 'sensor' }, desired: desired('bogus') });
  hub.createDevice('slow-1', { tags: { model: 'sensor' }, desired: desired('5m') });
  hub.createDevice('gone-1', { tags: { model: 'sensor' }, desired: desired('5m') });
  hub.createDevice('spare-1');
  fleet = startHubFleet(hub, {
    devices: [
      { model: 'ok', deviceIds: ['ok-1', 'ok-2'], behaviours: [telemetryConfig()] },
      { model: 'bad', deviceIds: ['bad-1'], behaviours: [telemetryConfig()] },
      { model: 'slow', deviceIds: ['slow-1'], behaviours: [telemetryConfig({ applyDelayMs: 600_000 })] },
    ],
    onDeviceReady: (device) => void devices.set(device.deviceId, device),
  });
  await fleet.settled;
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await hub?.stop();
});

describe('the jobs, configurations, compliance and telemetry pages in Chromium against a real hub', { timeout: 120_000 }, () => {
  let page: Page;
  let console: ReturnType<typeof watchConsole>;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && page) await page.screenshot({ path: `/tmp/dashboard-failure-${context.task.name.slice(0, 20).replace(/\W/g, '_')}.png` });
  });
  const count = (group: string): Promise<string> => page.getByTestId(`count-${group}`).innerText();

  it('fleet compliance counts the known fleet: applied, pending, failed, offline and not targeted, each linking to its devices', async () => {
    page = await browser.context.newPage();
    console = watchConsole(page);
    await page.goto(loginUrl(hub));
    await page.getByRole('link', { name: 'Compliance' }).click();
    await expect.poll(() => count('applied'), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => count('failed')).toBe('1');
    expect(await count('pending')).toBe('1');
    expect(await count('offline')).toBe('1');
    expect(await count('notTargeted')).toBe('1');
    await page.getByTestId('group-chart').locator('canvas').waitFor();
    await screenshot(page, 'dashboard-compliance.png');

    await page.getByRole('link', { name: /^Failed: 1 devices/ }).click();
    await expect.poll(() => page.locator('tbody tr[data-device]').count()).toBe(1);
    expect(await page.locator('tbody tr[data-device]').getAttribute('data-device')).toBe('bad-1');
    expect(await page.getByLabel('Condition').inputValue()).toContain("IN ['Failed', 'Error']");
    await page.goBack();
    await page.getByRole('link', { name: /^Offline, stale: 1 devices/ }).click();
    await expect.poll(() => page.locator('tbody tr[data-device]').getAttribute('data-device')).toBe('gone-1');
  });

  it('starts a twin-update job from a query condition and watches it complete, with its device rows', async () => {
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Job id').fill('tag-wave');
    await page.getByLabel('Query condition').fill("tags.model = 'thermostat'");
    await setEditor(page, 'job-patch-editor', JSON.stringify({ tags: { wave: 'one' } }));
    await page.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(() => page.url()).toContain('#/jobs/tag-wave');
    await expect.poll(() => page.getByTestId('job-status').innerText(), { timeout: 10_000 }).toBe('completed');
    expect(await page.getByTestId('job-counts').innerText()).toMatch(/2\s+succeeded/);
    await expect.poll(() => page.locator('[data-testid="job-rows"] tbody tr').count()).toBe(2);
    expect(await page.getByTestId('job-rows').innerText()).toContain('completed');
    expect(hub.getTwin('ok-1').tags).toMatchObject({ wave: 'one' });
    await page.getByTestId('job-chart').locator('canvas').waitFor();
    expect(await page.locator('tr[data-job="tag-wave"]').innerText()).toContain('2 / 0 / 2');
    await screenshot(page, 'dashboard-jobs.png');
  });

  it('creates a method job that starts in an hour and cancels it while it waits', async () => {
    await page.getByLabel('Job id').fill('reboot-later');
    await page.getByLabel('Job type').selectOption('scheduleDeviceMethod');
    await page.getByLabel('Start after (s)').fill('3600');
    await page.getByLabel('Method name').fill('reboot');
    await page.getByRole('button', { name: 'Create job' }).click();
    // A job waiting for its start time is reported `queued`, as the service reports it.
    await expect.poll(() => page.getByTestId('job-status').innerText()).toBe('queued');
    expect(await page.locator('tr[data-job="reboot-later"]').innerText()).toContain('method reboot');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => page.getByTestId('job-status').innerText()).toBe('cancelled');
    await expect.poll(() => page.locator('tr[data-job="reboot-later"]').innerText()).toContain('cancelled');
  });

  it('creates a configuration, sees its custom metric rise as the devices apply it, drawn over time, and deletes it', async () => {
    await page.getByRole('link', { name: 'Configurations' }).click();
    await page.getByLabel('Configuration id').fill('fleet-config');
    await page.getByLabel('Target condition').fill("tags.model = 'thermostat'");
    await setEditor(page, 'configuration-content-editor', JSON.stringify({ 'properties.desired.telemetryConfig': { configId: 'cfg-1', sendFrequency: '10m' } }));
    await setEditor(
      page,
      'configuration-metrics-editor',
      JSON.stringify({ compliant: "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.configId = 'cfg-1' AND properties.reported.telemetryConfig.status = 'Success'" }),
    );
    await page.getByRole('button', { name: 'Create configuration' }).click();
    await expect.poll(() => page.url()).toContain('#/configurations/fleet-config');
    const row = page.locator('tr[data-configuration="fleet-config"]');
    await expect.poll(() => row.locator('[data-metric="targeted"]').innerText(), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => row.locator('[data-metric="compliant"] b').innerText(), { timeout: 15_000 }).toBe('2');
    expect(await row.locator('[data-metric="applied"]').innerText()).toBe('2');
    // The chart holds the samples since the page opened: the first said 0 compliant, the last says 2.
    const chart = page.getByTestId('configuration-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    expect(await chart.getAttribute('data-first')).toContain('compliant 0');
    expect(await chart.getAttribute('aria-label')).toContain('compliant 2');
    await screenshot(page, 'dashboard-configurations.png');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete fleet-config' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await page.getByRole('status').innerText()).toContain('Deleted fleet-config');
  });

  it('live telemetry shows a message a device sent, with its properties, and charts a numeric field', async () => {
    await page.getByRole('link', { name: 'Telemetry' }).click();
    await page.getByRole('heading', { name: 'Live telemetry' }).waitFor();
    const device = devices.get('ok-1');
    if (!device) throw new Error('ok-1 is not up');
    for (const [i, temperature] of [21.5, 22.25, 21.75, 23].entries()) {
      await device.sendTelemetry({ temperature, humidity: 40 + i }, { alert: 'none' });
      await expect.poll(() => page.locator('[data-testid="telemetry"] tbody tr').count()).toBeGreaterThanOrEqual(i + 1);
    }
    await devices.get('ok-2')?.sendTelemetry({ temperature: 19.5, humidity: 50 });
    const newest = page.locator('[data-testid="telemetry"] tbody tr[data-device="ok-1"]').first();
    expect(await newest.innerText()).toContain('"temperature":23');
    expect(await newest.innerText()).toContain('alert=none');
    await page.getByLabel('Numeric field to chart').selectOption('temperature');
    const chart = page.getByTestId('telemetry-chart');
    await chart.locator('canvas').waitFor();
    await expect.poll(() => chart.getAttribute('data-points')).toBe('5');
    await page.getByLabel('Device (id or prefix)').fill('ok-1');
    await expect.poll(() => chart.getAttribute('data-points')).toBe('4');
    expect(await page.locator('[data-testid="telemetry"] tbody tr[data-device="ok-2"]').count()).toBe(0);
    await screenshot(page, 'dashboard-telemetry.png');

    await page.getByRole('button', { name: 'Pause' }).click();
    await device.sendTelemetry({ temperature: 30 });
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Paused: 1 messages not shown');
    expect(await chart.getAttribute('data-points')).toBe('4');
    await page.getByRole('button', { name: 'Resume' }).click();
  });

  it('a registryRead login can view fleet compliance but cannot create a job or a configuration', async () => {
    const reader = await browser.context.newPage();
    const readerConsole = watchConsole(reader);
    readerConsole.expectStatus(401);
    await reader.goto(`${new URL(page.url()).origin}/#/compliance`);
    await reader.getByLabel('Policy connection string').fill(hub.connectionString('registryRead'));
    await reader.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => reader.getByTestId('who').innerText()).toContain('registryRead');
    await expect.poll(() => reader.getByTestId('count-failed').innerText(), { timeout: 10_000 }).toBe('1');

    await reader.getByRole('link', { name: 'Jobs' }).click();
    await reader.getByLabel('Job id').fill('not-allowed');
    await reader.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(() => reader.locator('form[aria-labelledby="new-job-title"] [role="alert"]').innerText()).toContain('401 IotHubUnauthorizedAccess');
    await reader.getByRole('link', { name: 'Configurations' }).click();
    await reader.getByLabel('Configuration id').fill('not-allowed');
    await reader.getByRole('button', { name: 'Create configuration' }).click();
    await expect.poll(() => reader.locator('form[aria-labelledby="new-configuration-title"] [role="alert"]').innerText()).toContain('401 IotHubUnauthorizedAccess');
    expect(readerConsole.errors).toEqual([]);
    await reader.close();
  });

  it('logs no console error on any page', () => {
    expect(console.errors).toEqual([]);
  });
});
