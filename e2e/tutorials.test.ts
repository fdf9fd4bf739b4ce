import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eHub } from './hub-fixture.js';
import { commandsOf, TutorialRunner, type Running } from './tutorial-runner.js';

/**
 * The offline tutorials (docs/tutorials) run for real: their code, with Microsoft's SDKs, and their
 * `hubemu` commands, against a hub on the real ports (8883, 443), as a reader's `npm start` hub is.
 * Each page's steps run in its order, and each test checks that it ran every command its page shows.
 */
let hub: Awaited<ReturnType<typeof startE2eHub>>;
let tutorial: TutorialRunner;
const running: Running[] = [];
// Each page's test runs a dozen processes; a CLI process alone takes seconds on a busy 2-core machine.
const PAGE = { timeout: 240_000 };

beforeAll(async () => {
  hub = await startE2eHub({ inMemory: true, configurationIntervalMs: 200 });
  // What the pages tell the reader to export (e2e/global-setup.ts made the CA the hub's certificate is signed by).
  tutorial = new TutorialRunner({
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS as string,
    IOTHUB_CONNECTION_STRING: hub.connectionString(),
    HUBEMU_CONNECTION_STRING: hub.connectionString(),
  });
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await hub.dispose();
});

/** Runs a command of a page and expects it to succeed. */
async function ok(command: string, env?: Record<string, string>): Promise<string> {
  const out = await tutorial.run(command, env);
  expect(out.code, `${command}\n${out.stderr}${out.stdout}`).toBe(0);
  return out.stdout;
}

/** Creates myDeviceId with the page's commands and returns the environment its device app needs. */
async function createMyDevice(): Promise<Record<string, string>> {
  const created = JSON.parse(await ok('npx hubemu device-identity create -d myDeviceId')) as { authentication: { symmetricKey: { primaryKey: string } } };
  const shown = JSON.parse(await ok('npx hubemu device-identity connection-string show -d myDeviceId')) as { connectionString: string };
  expect(shown.connectionString).toContain(`DeviceId=myDeviceId;SharedAccessKey=${created.authentication.symmetricKey.primaryKey}`);
  return { IOTHUB_DEVICE_CONNECTION_STRING: shown.connectionString };
}

function startDevice(command: string, env: Record<string, string>): Running {
  const device = tutorial.start(command, env);
  running.push(device);
  return device;
}

describe('tutorial 1: device twins, tags and queries', PAGE, () => {
  beforeAll(() => hub.reset());

  it('tags the twin, reports connectivity and finds the device by tag and by reported property, as the page says', async () => {
    const deviceEnv = await createMyDevice();

    const before = await ok('node docs/tutorials/code/1-device-twins/service.js');
    expect(before).toContain('myDeviceId tagged: {"location":{"region":"US","plant":"Redmond43"}}');
    expect(before).toContain('Devices in Redmond43: myDeviceId\n');
    expect(before).toContain('Devices in Redmond43 using a cellular network: (none)\n');

    const device = await ok('node docs/tutorials/code/1-device-twins/device.js', deviceEnv);
    expect(device).toContain('Reported connectivity: {"type":"cellular"}');
    expect(hub.getTwin('myDeviceId').properties.reported).toMatchObject({ connectivity: { type: 'cellular' } });

    const after = await ok('node docs/tutorials/code/1-device-twins/service.js');
    expect(after).toContain('Devices in Redmond43 using a cellular network: myDeviceId\n');

    const twin = JSON.parse(await ok('npx hubemu device-twin show -d myDeviceId')) as { tags: unknown; properties: { reported: unknown } };
    expect(twin.tags).toEqual({ location: { region: 'US', plant: 'Redmond43' } });
    expect(twin.properties.reported).toMatchObject({ connectivity: { type: 'cellular' } });

    const table = await ok(
      `npx hubemu query -q "SELECT deviceId, properties.reported.connectivity.type AS connectivity FROM devices WHERE tags.location.plant = 'Redmond43'" -o table`,
    );
    expect(table).toMatch(/^DeviceId\s+Connectivity\n-+\s+-+\nmyDeviceId\s+cellular\n$/);

    const plants = await ok('npx hubemu query -q "SELECT tags.location.plant AS plant, COUNT() AS devices FROM devices GROUP BY tags.location.plant" -o table');
    expect(plants).toMatch(/\nRedmond43\s+1\n$/);

    expect([...tutorial.ran]).toEqual(expect.arrayContaining(commandsOf('1-device-twins.md')));
  });
});

describe('tutorial 2: desired configuration', PAGE, () => {
  beforeAll(() => hub.reset());

  it('takes a desired telemetryConfig through Pending to Success, fails a bad one, and counts the fleet by status', async () => {
    const deviceEnv = await createMyDevice();
    const device = startDevice('node docs/tutorials/code/2-desired-configuration/device.js', deviceEnv);
    await device.waitForOutput(/Device connected/);

    const out = await ok('node docs/tutorials/code/2-desired-configuration/service.js');
    const configId = /Desired telemetryConfig: \{"configId":"([0-9a-f-]{36})","sendFrequency":"5m"\}/.exec(out)?.[1];
    expect(configId, out).toBeDefined();
    const pending = out.indexOf(`"status":"Pending","pendingConfig":{"configId":"${configId}","sendFrequency":"5m"}`);
    const success = out.indexOf(`Reported telemetryConfig: {"configId":"${configId}","sendFrequency":"5m","status":"Success"}`);
    expect(pending, out).toBeGreaterThan(0);
    expect(success, out).toBeGreaterThan(pending);
    expect(out).toMatch(/Devices by telemetryConfig status:\n {2}Success: 1\n$/);

    await ok(`npx hubemu device-twin update -d myDeviceId --desired '{"telemetryConfig": {"configId": "every-30s", "sendFrequency": "30s"}}'`);
    await device.waitForOutput(/"configId":"every-30s","sendFrequency":"30s","status":"Success","pendingConfig":null/);

    await ok(`npx hubemu device-twin update -d myDeviceId --desired '{"telemetryConfig": {"configId": "broken", "sendFrequency": "sometimes"}}'`);
    await device.waitForOutput(/"configId":"every-30s","sendFrequency":"30s","status":"Failed","pendingConfig":null/);

    const rows = await ok(
      'npx hubemu query -q "SELECT deviceId, properties.reported.telemetryConfig.status AS status, properties.reported.telemetryConfig.sendFrequency AS sendFrequency FROM devices" -o table',
    );
    expect(rows).toMatch(/\nmyDeviceId\s+Failed\s+30s\n$/);
    const groups = await ok(
      'npx hubemu query -q "SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status" -o table',
    );
    expect(groups).toMatch(/\nFailed\s+1\n$/);
    expect(hub.getTwin('myDeviceId').properties.reported).not.toHaveProperty('telemetryConfig.pendingConfig');

    await device.stop();
    expect([...tutorial.ran]).toEqual(expect.arrayContaining(commandsOf('2-desired-configuration.md')));
  });
});

describe('tutorial 3: device management patterns', PAGE, () => {
  beforeAll(() => hub.reset());

  it('reboots and factory-resets by direct method and rolls firmware out by a configuration, with progress reported and counted', async () => {
    const deviceEnv = await createMyDevice();
    await ok(`npx hubemu device-twin update -d myDeviceId --tags '{"location": {"region": "US", "plant": "Redmond43"}}'`);
    let connections = 0;
    const onConnected = (event: { deviceId: string }): void => {
      if (event.deviceId === 'myDeviceId') connections += 1;
    };
    hub.events.on('deviceConnected', onConnected);
    const device = startDevice('node docs/tutorials/code/3-device-management/device.js', deviceEnv);
    await device.waitForOutput(/Device connected/);
    expect(connections).toBe(1);

    const reboot = await ok('node docs/tutorials/code/3-device-management/device-method.js reboot');
    expect(reboot).toContain('reboot answered 200: {"message":"Reboot started"}\n');
    expect(reboot).toMatch(/Reported iothubDM\.reboot: \{"lastReboot":"[^"]+","rebootStatus":"rebooted"\}\nreboot done\.\n$/);
    expect(connections).toBe(2); // the reboot really dropped the connection and made a new one

    const job = JSON.parse(
      await ok(`npx hubemu job create --job-id reboot-redmond43 --job-type scheduleDeviceMethod -q "tags.location.plant = 'Redmond43'" --method-name reboot --wait`),
    ) as { status: string; deviceJobStatistics: unknown };
    expect(job).toMatchObject({ status: 'completed', deviceJobStatistics: { deviceCount: 1, succeededCount: 1, failedCount: 0 } });
    const rows = JSON.parse(await ok(`npx hubemu query -q "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot-redmond43'"`)) as unknown[];
    expect(rows).toMatchObject([{ deviceId: 'myDeviceId', status: 'completed', outcome: { deviceMethodResponse: { status: 200, payload: { message: 'Reboot started' } } } }]);
    await device.waitForOutput(/("rebootStatus":"rebooted"[\s\S]*){2}/); // the job's reboot is over too

    const reset = await ok('node docs/tutorials/code/3-device-management/device-method.js factoryReset');
    expect(reset).toContain('factoryReset answered 200: {"message":"Factory reset started"}\n');
    expect(reset).toMatch(/"status":"completed"\}\nfactoryReset done\.\n$/);
    expect(hub.getTwin('myDeviceId').properties.reported).toMatchObject({
      firmware: { currentFwVersion: '1.0.0', fwUpdateStatus: 'current' },
      iothubDM: { factoryReset: { status: 'completed' }, reboot: { rebootStatus: 'rebooted' } },
    });

    const rollout = await ok('node docs/tutorials/code/3-device-management/firmware-rollout.js');
    expect(rollout).toContain("Configuration firmware-2-0-0 created: firmware 2.0.0 for tags.location.plant = 'Redmond43'\n");
    expect(rollout).toMatch(/targeted 1, applied 1, updating 0, current 1, failed 0\nDevices by fwUpdateStatus:\n {2}current: 1\n$/);
    const stages = [...device.output().matchAll(/"fwUpdateStatus":"(\w+)"/g)].map((m) => m[1]);
    expect(stages.slice(-5)).toEqual(['downloading', 'verifying', 'applying', 'rebooting', 'current']);

    const shown = JSON.parse(await ok('npx hubemu configuration show -c firmware-2-0-0')) as unknown;
    expect(shown).toMatchObject({ systemMetrics: { results: { targetedCount: 1, appliedCount: 1 } }, metrics: { results: { current: 1, updating: 0, failed: 0 } } });
    const table = await ok(
      `npx hubemu query -q "SELECT deviceId, properties.reported.firmware.currentFwVersion AS firmware, properties.reported.firmware.fwUpdateStatus AS status FROM devices WHERE tags.location.plant = 'Redmond43'" -o table`,
    );
    expect(table).toMatch(/\nmyDeviceId\s+2\.0\.0\s+current\n$/);

    await device.stop();
    hub.events.off('deviceConnected', onConnected);
    expect([...tutorial.ran]).toEqual(expect.arrayContaining(commandsOf('3-device-management.md')));
  });
});

describe('tutorial 4: telemetry and cloud-to-device messages', PAGE, () => {
  beforeAll(() => hub.reset());

  it('reads the device telemetry back, delivers messages with Success feedback, and queues them while the device is offline', async () => {
    const deviceEnv = await createMyDevice();
    const shown = JSON.parse(await ok('npx hubemu hub connection-string show --default-eventhub')) as { connectionString: string };
    // The page's export line is this hub's Event Hub-compatible connection string.
    const page = readFileSync(new URL('../docs/tutorials/4-messaging.md', import.meta.url), 'utf8');
    expect(page).toContain(`export EVENTHUB_CONNECTION_STRING='${shown.connectionString}'`);
    const readerEnv = { EVENTHUB_CONNECTION_STRING: shown.connectionString };

    const device = startDevice('node docs/tutorials/code/4-messaging/device.js', deviceEnv);
    await device.waitForOutput(/Sent reading 2: \{"deviceId":"myDeviceId","temperature":[\d.]+\}/);

    const reader = startDevice('node docs/tutorials/code/4-messaging/read-telemetry.js', readerEnv);
    await reader.waitForOutput(/Partition \d, from myDeviceId: \{"deviceId":"myDeviceId","temperature":[\d.]+\} properties \{"temperatureAlert":"(true|false)"\}/);
    await reader.stop();

    const monitored = await ok('npx hubemu monitor-events -d myDeviceId -p app --timeout 3');
    expect(monitored).toContain('"origin": "myDeviceId"');
    expect(monitored).toContain('"temperatureAlert"');

    const sent = await ok('node docs/tutorials/code/4-messaging/send-c2d.js "Turn on the fan"');
    expect(sent).toMatch(/Sent: Turn on the fan \(messageId (My Message ID \d+)\)\nFeedback: Success for message \1 of myDeviceId\n/);
    await device.waitForOutput(/Received C2D message: Turn on the fan \(messageId My Message ID \d+\)\nCompleted/);

    const withFeedback = JSON.parse(await ok('npx hubemu c2d-message send -d myDeviceId --data "Turn off the fan" --ack full --wait-on-feedback')) as { feedback: { statusCode: string } };
    expect(withFeedback.feedback).toMatchObject({ statusCode: 'Success' });
    await device.waitForOutput(/Received C2D message: Turn off the fan/);

    await device.stop();
    await ok('npx hubemu c2d-message send -d myDeviceId --data "Check the filter" --ack full');
    const identity = JSON.parse(await ok('npx hubemu device-identity show -d myDeviceId')) as { cloudToDeviceMessageCount: number };
    expect(identity.cloudToDeviceMessageCount).toBe(1);
    const purged = JSON.parse(await ok('npx hubemu c2d-message purge -d myDeviceId')) as { totalMessagesPurged: number };
    expect(purged.totalMessagesPurged).toBe(1);

    expect([...tutorial.ran]).toEqual(expect.arrayContaining(commandsOf('4-messaging.md')));
  });
});
