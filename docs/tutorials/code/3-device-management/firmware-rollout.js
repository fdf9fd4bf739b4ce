'use strict';
// Tutorial 3, the back end of a firmware update at fleet scale (Microsoft's configuration_sample.js,
// run against hubemu): an automatic device configuration sets the desired firmware on every device
// its target condition selects; its metrics and a query follow the devices through the update.
//   node docs/tutorials/code/3-device-management/firmware-rollout.js
// IOTHUB_CONNECTION_STRING: a connection string of a policy with RegistryRead and RegistryWrite.

const { Registry } = require('azure-iothub');

const connectionString = process.env.IOTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_CONNECTION_STRING (hubemu start prints the iothubowner one).');
  process.exit(1);
}
const registry = Registry.fromConnectionString(connectionString);

const id = 'firmware-2-0-0';
// Metric queries count over every device, so each one says "among the devices this configuration reached".
const reached = `configurations.[[${id}]].status = 'Applied'`;
const configuration = {
  id,
  content: {
    deviceContent: {
      'properties.desired.firmware': { version: '2.0.0', fwPackageURI: 'https://firmware.example/thermostat-2.0.0.bin', fwPackageCheckValue: 'a1b2c3' },
    },
  },
  targetCondition: "tags.location.plant = 'Redmond43'",
  priority: 10,
  labels: { rollout: 'wave-1' },
  metrics: {
    queries: {
      current: `SELECT deviceId FROM devices WHERE ${reached} AND properties.reported.firmware.currentFwVersion = '2.0.0'`,
      updating: `SELECT deviceId FROM devices WHERE ${reached} AND properties.reported.firmware.pendingFwVersion = '2.0.0' AND properties.reported.firmware.fwUpdateStatus != 'error'`,
      failed: `SELECT deviceId FROM devices WHERE ${reached} AND properties.reported.firmware.fwUpdateStatus = 'error'`,
    },
  },
};

async function main() {
  try {
    await registry.addConfiguration(configuration);
    console.log(`Configuration ${id} created: firmware 2.0.0 for ${configuration.targetCondition}`);
  } catch (err) {
    if (!err.response || err.response.statusCode !== 409) throw err;
    console.log(`Configuration ${id} exists already: following it.`);
  }

  // The hub evaluates configurations every few seconds: metrics are those of its last evaluation.
  const deadline = Date.now() + 120_000;
  let last = '';
  for (;;) {
    const { responseBody: config } = await registry.getConfiguration(id);
    const { targetedCount, appliedCount } = config.systemMetrics.results;
    const { current = 0, updating = 0, failed = 0 } = config.metrics.results;
    const text = `targeted ${targetedCount}, applied ${appliedCount}, updating ${updating}, current ${current}, failed ${failed}`;
    if (text !== last) console.log(text);
    last = text;
    if (targetedCount > 0 && appliedCount === targetedCount && current + failed === targetedCount) break;
    if (Date.now() > deadline) throw new Error('The rollout did not finish in 120 s: are the devices running?');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  const { result: rows } = await registry
    .createQuery(
      `SELECT properties.reported.firmware.fwUpdateStatus AS fwUpdateStatus, COUNT() AS numberOfDevices FROM devices WHERE ${reached} GROUP BY properties.reported.firmware.fwUpdateStatus`,
    )
    .next();
  console.log('Devices by fwUpdateStatus:');
  for (const row of rows) console.log(`  ${row.fwUpdateStatus}: ${row.numberOfDevices}`);
}

main().catch((err) => {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
});
