'use strict';
// Tutorial 1, the back end (Microsoft's AddTagsAndQuery.js, run against hubemu): tag a device twin with
// its location, then find devices by tag and by reported property.
//   node docs/tutorials/code/1-device-twins/service.js [deviceId]
// IOTHUB_CONNECTION_STRING: a connection string of a policy with RegistryRead and RegistryWrite.

const { Registry } = require('azure-iothub');

const connectionString = process.env.IOTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_CONNECTION_STRING (hubemu start prints the iothubowner one).');
  process.exit(1);
}
const deviceId = process.argv[2] || 'myDeviceId';
const registry = Registry.fromConnectionString(connectionString);

async function main() {
  // Read the twin, then patch its tags. Twin.update sends the twin's etag as If-Match, so a change
  // made by someone else in between is refused (412) rather than overwritten.
  const { responseBody: twin } = await registry.getTwin(deviceId);
  await twin.update({ tags: { location: { region: 'US', plant: 'Redmond43' } } });
  console.log(`${deviceId} tagged: ${JSON.stringify(twin.tags)}`);

  await printDeviceIds('Devices in Redmond43', "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'");
  await printDeviceIds(
    'Devices in Redmond43 using a cellular network',
    "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43' AND properties.reported.connectivity.type = 'cellular'",
  );
}

// Runs a query page by page (100 twins a page) and prints the device ids it found.
async function printDeviceIds(title, sql) {
  const query = registry.createQuery(sql, 100);
  const ids = [];
  do {
    const { result: twins } = await query.nextAsTwin();
    ids.push(...twins.map((t) => t.deviceId));
  } while (query.hasMoreResults);
  console.log(`${title}: ${ids.length === 0 ? '(none)' : ids.join(', ')}`);
}

main().catch((err) => {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
});
