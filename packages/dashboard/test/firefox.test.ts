import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '@hubemu/device-agent';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { assertDashboardBuilt, IMAGES, loginUrl, startHubFleet } from './browser.js';
import { assertFirefoxInstalled, Firefox } from './firefox.js';

/**
 * The dashboard in Debian's Firefox ESR against a real hub: the banner's login link, the live fleet,
 * a device's twin updated without a reload (the event stream), the query console, and no console errors.
 */
let hub: Hub;
let fleet: Fleet;
let firefox: Firefox;

beforeAll(async () => {
  assertDashboardBuilt();
  assertFirefoxInstalled();
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  for (const id of ['thermostat-1', 'thermostat-2']) hub.createDevice(id, { tags: { model: 'thermostat' }, desired: { telemetryConfig: { sendFrequency: '5m' } } });
  hub.createDevice('spare-1', { tags: { model: 'spare' } });
  fleet = startHubFleet(hub, {
    devices: [{ model: 'thermostat', deviceIds: ['thermostat-1', 'thermostat-2'] }],
  });
  await fleet.settled;
  firefox = await Firefox.launch();
}, 120_000);
afterAll(async () => {
  await firefox?.close();
  await fleet?.stop();
  await hub?.stop();
});

const rowsText = "Array.from(document.querySelectorAll('tbody tr[data-device]')).map((r) => r.innerText).join('\\n')";

describe('the dashboard in Firefox against a real hub', { timeout: 120_000 }, () => {
  it('opens from the banner login link and lists the live fleet', async () => {
    await firefox.navigate(loginUrl(hub));
    await firefox.waitFor("document.querySelectorAll('tbody tr[data-device]').length === 3", 'three device rows');
    await firefox.waitFor(`${rowsText}.includes('Connected')`, 'a connected thermostat');
    const rows = String(await firefox.evaluate(rowsText));
    expect(rows).toContain('thermostat-1');
    expect(rows).toContain('"model":"spare"');
    expect(await firefox.evaluate('location.hash')).not.toContain('login=');
    await firefox.screenshot(join(IMAGES, 'dashboard-firefox.png'));
  });

  it('shows a twin change on the device page without a reload', async () => {
    await firefox.evaluate("location.hash = '#/devices/thermostat-1'; true");
    await firefox.waitFor("document.body.innerText.includes('sendFrequency')", "the device's twin");
    hub.updateTwin('thermostat-1', { tags: { firmware: 'ff-check-2' } });
    await firefox.waitFor("document.body.innerText.includes('ff-check-2')", 'the new tag on the page');
  });

  it('runs a GROUP BY query in the query console', async () => {
    await firefox.evaluate("location.hash = '#/query'; true");
    await firefox.waitFor("document.getElementById('query-text') !== null", 'the query box');
    const query = 'SELECT tags.model AS model, COUNT() AS n FROM devices GROUP BY tags.model';
    // Typed as a user types: the value, then the input event the page listens to, then Run query.
    await firefox.evaluate(`(() => {
      const box = document.getElementById('query-text');
      box.value = ${JSON.stringify(query)};
      box.dispatchEvent(new Event('input', { bubbles: true }));
      return true;
    })()`);
    await firefox.evaluate("Array.from(document.querySelectorAll('button')).find((b) => b.innerText === 'Run query').click(); true");
    await firefox.waitFor("document.querySelector('[data-testid=query-rows] tbody')?.innerText.includes('spare')", 'the grouped rows');
    expect(String(await firefox.evaluate("document.querySelector('[data-testid=query-rows] tbody').innerText"))).toMatch(/thermostat\s+2/);
    await firefox.waitFor("document.querySelector('[data-testid=group-chart] canvas') !== null", 'the bar chart');
  });

  it('logs no console errors', () => {
    expect(firefox.errors).toEqual([]);
  });
});
