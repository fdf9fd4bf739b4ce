'use strict';
// Tutorial 2, the back end (Microsoft's SetDesiredAndQuery.js, run against hubemu): ask a device for a
// new telemetry configuration through its desired properties, watch it report its progress, then ask
// the whole fleet where it stands.
//   node docs/tutorials/code/2-desired-configuration/service.js [deviceId] [sendFrequency]
// IOTHUB_CONNECTION_STRING: a connection string of a policy with RegistryRead and RegistryWrite.

const { randomUUID } = require('node:crypto');
const { Registry } = require('azure-iothub');

const connectionString = process.env.IOTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_CONNECTION_STRING (hubemu start prints the iothubowner one).');
  process.exit(1);
}
const deviceId = process.argv[2] || 'myDeviceId';
const sendFrequency = process.argv[3] || '5m';
const registry = Registry.fromConnectionString(connectionString);

async function main() {
  const telemetryConfig = { configId: randomUUID(), sendFrequency };
  const { responseBody: twin } = await registry.getTwin(deviceId);
  await twin.update({ properties: { desired: { telemetryConfig } } });
  console.log(`Desired telemetryConfig: ${JSON.stringify(telemetryConfig)}`);

  // Watch the device's reports until it has applied this configuration (or failed to).
  const deadline = Date.now() + 60_000;
  let last = '';
  let pending = false;
  for (;;) {
    const reported = (await reportedTelemetryConfig()) || {};
    const text = JSON.stringify(reported);
    if (text !== last) console.log(`Reported telemetryConfig: ${text}`);
    last = text;
    if (reported.pendingConfig && reported.pendingConfig.configId === telemetryConfig.configId) pending = true;
    const applied = reported.configId === telemetryConfig.configId && reported.status === 'Success';
    if (applied || (pending && !reported.pendingConfig)) break; // Success, or Failed after Pending
    if (Date.now() > deadline) throw new Error(`${deviceId} did not apply the configuration in 60 s: is its device app running?`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  // The fleet by status: how many devices applied their configuration, are pending, or failed.
  const { result: rows } = await registry
    .createQuery('SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status')
    .next();
  console.log('Devices by telemetryConfig status:');
  for (const row of rows) console.log(`  ${row.status === undefined ? '(none reported)' : row.status}: ${row.numberOfDevices}`);
}

async function reportedTelemetryConfig() {
  const query = registry.createQuery(`SELECT properties.reported.telemetryConfig AS telemetryConfig FROM devices WHERE deviceId = '${deviceId}'`);
  const { result } = await query.next();
  return result[0] && result[0].telemetryConfig;
}

main().catch((err) => {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
});
