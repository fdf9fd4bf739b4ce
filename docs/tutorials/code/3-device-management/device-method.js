'use strict';
// Tutorial 3, the back end of reboot and factory reset (Microsoft's dmpatterns_reboot_service.js, run
// against hubemu): call the direct method, print the device's answer, then follow the progress the
// device reports in iothubDM.<method> until it is done.
//   node docs/tutorials/code/3-device-management/device-method.js reboot|factoryReset [deviceId]
// IOTHUB_CONNECTION_STRING: a connection string of a policy with ServiceConnect and RegistryRead.

const { Client, Registry } = require('azure-iothub');

const connectionString = process.env.IOTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_CONNECTION_STRING (hubemu start prints the iothubowner one).');
  process.exit(1);
}
// What "done" looks like in the device's report, and the report's start time, per method.
const PATTERNS = {
  reboot: { done: (r) => r.rebootStatus === 'rebooted', startedAt: (r) => r.lastReboot },
  factoryReset: { done: (r) => r.status === 'completed', startedAt: (r) => r.lastFactoryReset },
};
const methodName = process.argv[2];
const deviceId = process.argv[3] || 'myDeviceId';
const pattern = PATTERNS[methodName];
if (!pattern) {
  console.error('Usage: node device-method.js reboot|factoryReset [deviceId]');
  process.exit(1);
}
const client = Client.fromConnectionString(connectionString);
const registry = Registry.fromConnectionString(connectionString);

async function main() {
  const invokedAt = Date.now();
  // The hub waits up to responseTimeoutInSeconds for the device's answer (504 GatewayTimeout after),
  // and answers 404 DeviceNotOnline at once if the device is not connected.
  const { result } = await client.invokeDeviceMethod(deviceId, { methodName, payload: null, responseTimeoutInSeconds: 30 });
  console.log(`${methodName} answered ${result.status}: ${JSON.stringify(result.payload)}`);

  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    const { responseBody: twin } = await registry.getTwin(deviceId);
    const progress = (twin.properties.reported.iothubDM || {})[methodName] || {};
    const text = JSON.stringify(progress);
    if (text !== last && text !== '{}') console.log(`Reported iothubDM.${methodName}: ${text}`);
    last = text;
    // A report of this run, not of an earlier one: it started after the call (a second's leeway for clocks).
    if (pattern.done(progress) && Date.parse(pattern.startedAt(progress)) >= invokedAt - 1000) break;
    if (Date.now() > deadline) throw new Error(`${deviceId} did not report ${methodName} done in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(`${methodName} done.`);
}

main().catch((err) => {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
});
