'use strict';
// Tutorial 2, the device (Microsoft's SimulateDeviceConfiguration.js, run against hubemu): follow the
// desired telemetryConfig in steps, reporting each one, so the back end sees where every device is.
//   1. a new desired telemetryConfig arrives: report status 'Pending' with it as pendingConfig;
//   2. apply it (restarting the telemetry module, simulated by a delay);
//   3. report it as the current configuration with status 'Success' (or 'Failed'), pendingConfig deleted.
//   node docs/tutorials/code/2-desired-configuration/device.js
// IOTHUB_DEVICE_CONNECTION_STRING: the device's connection string. Runs until stopped (Ctrl+C).

const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const connectionString = process.env.IOTHUB_DEVICE_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_DEVICE_CONNECTION_STRING to the device connection string.');
  process.exit(1);
}
const APPLY_DELAY_MS = 3000; // how long applying a configuration takes
const client = Client.fromConnectionString(connectionString, Mqtt);
let twin;
let applying; // the timer of the configuration being applied

async function main() {
  await client.open();
  twin = await client.getTwin();
  if (!twin.properties.reported.telemetryConfig) {
    await report({ configId: '0', sendFrequency: '24h', status: 'Success' }); // the factory default
  }
  // Fires once at once with the whole desired document, then with every change the back end makes.
  twin.on('properties.desired', () => {
    const desired = twin.properties.desired.telemetryConfig;
    const current = twin.properties.reported.telemetryConfig;
    if (!desired || desired.configId === current.configId) return;
    if (current.pendingConfig && current.pendingConfig.configId === desired.configId) return;
    startConfigChange(desired).catch(fail);
  });
  console.log('Device connected: waiting for desired telemetryConfig changes.');
}

async function startConfigChange(desired) {
  const pendingConfig = { configId: desired.configId, sendFrequency: desired.sendFrequency };
  await report({ ...twin.properties.reported.telemetryConfig, status: 'Pending', pendingConfig });
  clearTimeout(applying); // a newer configuration supersedes one still pending
  applying = setTimeout(() => completeConfigChange(pendingConfig).catch(fail), APPLY_DELAY_MS);
}

async function completeConfigChange(config) {
  if (!/^\d+[smh]$/.test(String(config.sendFrequency))) {
    // Keep the configuration that works; say why the new one was not applied.
    await report({ ...twin.properties.reported.telemetryConfig, status: 'Failed', pendingConfig: null });
    return;
  }
  // A reported null deletes the property: pendingConfig disappears from the twin.
  await report({ configId: config.configId, sendFrequency: config.sendFrequency, status: 'Success', pendingConfig: null });
}

function report(telemetryConfig) {
  const patch = { telemetryConfig };
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err) => {
      if (err) return reject(err);
      console.log(`Reported: ${JSON.stringify(patch)}`);
      resolve();
    }),
  );
}

function fail(err) {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
}

process.on('SIGINT', () => client.close().finally(() => process.exit(0)));
main().catch(fail);
