'use strict';
// Tutorial 1, the device (Microsoft's TwinSimulatedDevice.js, run against hubemu): connect over MQTT,
// report how the device is connected in its twin's reported properties, and disconnect.
//   node docs/tutorials/code/1-device-twins/device.js
// IOTHUB_DEVICE_CONNECTION_STRING: the device's connection string (hubemu device-identity connection-string show).

const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const connectionString = process.env.IOTHUB_DEVICE_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_DEVICE_CONNECTION_STRING to the device connection string.');
  process.exit(1);
}
const client = Client.fromConnectionString(connectionString, Mqtt);

async function main() {
  await client.open();
  const twin = await client.getTwin();
  // A reported-properties patch: the hub merges it into properties.reported and bumps its $version.
  const patch = { connectivity: { type: 'cellular' } };
  await new Promise((resolve, reject) => twin.properties.reported.update(patch, (err) => (err ? reject(err) : resolve())));
  console.log(`Reported connectivity: ${JSON.stringify(patch.connectivity)}`);
  await client.close();
}

main().catch(async (err) => {
  console.error(`Failed: ${err.message}`);
  await client.close().catch(() => undefined);
  process.exit(1);
});
