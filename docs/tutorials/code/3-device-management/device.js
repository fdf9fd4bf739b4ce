'use strict';
// Tutorial 3, the device (Microsoft's dmpatterns_reboot_device.js and dmpatterns_fwupdate_device.js in
// one app, run against hubemu). It implements the device management patterns and reports the progress
// of each in its twin's reported properties, where the back end can read and query it:
//   - reboot (direct method 'reboot'): iothubDM.reboot.{lastReboot, rebootStatus};
//   - factory reset (direct method 'factoryReset'): iothubDM.factoryReset.{lastFactoryReset, status};
//   - firmware update (desired property 'firmware', set by an automatic device configuration):
//     firmware.{currentFwVersion, pendingFwVersion, fwUpdateStatus, fwUpdateSubstatus, ...}.
//   node docs/tutorials/code/3-device-management/device.js
// IOTHUB_DEVICE_CONNECTION_STRING: the device's connection string. Runs until stopped (Ctrl+C).

const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const connectionString = process.env.IOTHUB_DEVICE_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_DEVICE_CONNECTION_STRING to the device connection string.');
  process.exit(1);
}
const FACTORY_FIRMWARE = '1.0.0';
const REBOOT_DOWNTIME_MS = 1000; // how long the device is offline while it restarts
const FIRMWARE_STAGE_MS = 1000; // how long each firmware update stage takes

const client = Client.fromConnectionString(connectionString, Mqtt);
let twin;
let busy = false; // a reboot, reset or firmware update is running

async function main() {
  client.onDeviceMethod('reboot', (request, response) => startOnce(response, 'Reboot started', reboot));
  client.onDeviceMethod('factoryReset', (request, response) => startOnce(response, 'Factory reset started', factoryReset));
  await connect();
  console.log('Device connected: waiting for reboot, factoryReset and desired firmware.');
}

// Connects (again, after a restart), reads the twin and acts on its desired state.
async function connect() {
  await client.open();
  twin = await client.getTwin();
  if (!twin.properties.reported.firmware) {
    await report({ firmware: { currentFwVersion: FACTORY_FIRMWARE, pendingFwVersion: '', fwUpdateStatus: 'current', fwUpdateSubstatus: '' } });
  }
  if (!twin.listenerCount('properties.desired')) twin.on('properties.desired', () => checkFirmware().catch(fail));
}

// Answers a method at once (a method call waits for the answer, not for the work), then does the work.
function startOnce(response, message, work) {
  if (busy) {
    response.send(409, { message: 'The device is busy: try again when it has finished.' }).catch(fail);
    return;
  }
  busy = true;
  response
    .send(200, { message })
    .then(work)
    .finally(() => {
      busy = false;
    })
    .then(checkFirmware)
    .catch(fail);
}

async function reboot() {
  await report({ iothubDM: { reboot: { lastReboot: new Date().toISOString(), rebootStatus: 'rebooting' } } });
  await restart();
  await report({ iothubDM: { reboot: { rebootStatus: 'rebooted' } } });
}

async function factoryReset() {
  await report({ iothubDM: { factoryReset: { lastFactoryReset: new Date().toISOString(), status: 'resetting' } } });
  // Forget everything the device reported (a reported null deletes a property), then start as new.
  const wipe = {};
  for (const key of Object.keys(twin.properties.reported)) {
    if (!key.startsWith('$') && key !== 'iothubDM' && typeof twin.properties.reported[key] !== 'function') wipe[key] = null;
  }
  await report(wipe);
  await restart();
  await report({ iothubDM: { factoryReset: { status: 'completed' } } });
}

// The firmware pattern: the back end says which firmware it wants (desired), the device reports each
// stage, and a query or a configuration metric counts the devices at each stage.
async function checkFirmware() {
  const desired = twin.properties.desired.firmware;
  const reported = twin.properties.reported.firmware || {};
  if (busy || !desired || !desired.version || desired.version === reported.currentFwVersion) return;
  if (desired.version === reported.pendingFwVersion && reported.fwUpdateStatus === 'error') return; // failed: not again
  busy = true;
  try {
    await updateFirmware(desired);
  } finally {
    busy = false;
  }
}

async function updateFirmware(desired) {
  const stage = (fwUpdateStatus, more) => report({ firmware: { fwUpdateStatus, ...more } });
  await stage('downloading', { pendingFwVersion: desired.version, fwUpdateSubstatus: '', lastFwUpdateStartTime: new Date().toISOString() });
  await delay(FIRMWARE_STAGE_MS);
  await stage('verifying');
  await delay(FIRMWARE_STAGE_MS);
  if (!/^https:\/\//.test(String(desired.fwPackageURI))) {
    await stage('error', { fwUpdateSubstatus: 'fwPackageURI must be an https:// URL', lastFwUpdateEndTime: new Date().toISOString() });
    return;
  }
  await stage('applying');
  await delay(FIRMWARE_STAGE_MS);
  await stage('rebooting');
  await restart();
  await stage('current', { currentFwVersion: desired.version, pendingFwVersion: '', lastFwUpdateEndTime: new Date().toISOString() });
}

async function restart() {
  console.log('Restarting...');
  await client.close();
  await delay(REBOOT_DOWNTIME_MS);
  await connect();
  console.log('Restarted.');
}

function report(patch) {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err) => {
      if (err) return reject(err);
      console.log(`Reported: ${JSON.stringify(patch)}`);
      resolve();
    }),
  );
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fail(err) {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
}

process.on('SIGINT', () => client.close().finally(() => process.exit(0)));
main().catch(fail);
