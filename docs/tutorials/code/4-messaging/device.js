'use strict';
// Tutorial 4, the device (Microsoft's SimulatedDevice.js of "Send cloud-to-device messages", run against
// hubemu): connect over MQTT, send a temperature reading every second with a `temperatureAlert`
// application property, and print (then complete) every cloud-to-device message the back end sends.
//   node docs/tutorials/code/4-messaging/device.js
// IOTHUB_DEVICE_CONNECTION_STRING: the device's connection string (hubemu device-identity connection-string show).

const { Client, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const connectionString = process.env.IOTHUB_DEVICE_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_DEVICE_CONNECTION_STRING to the device connection string.');
  process.exit(1);
}
const client = Client.fromConnectionString(connectionString, Mqtt);

client.on('message', (msg) => {
  console.log(`Received C2D message: ${msg.getData().toString()} (messageId ${msg.messageId})`);
  // Completing the message removes it from the device's queue; its sender asked for feedback of that.
  client.complete(msg, (err) => console.log(err ? `complete error: ${err.message}` : 'Completed'));
});

let sent = 0;
async function sendReading() {
  const temperature = 20 + Math.round(Math.random() * 150) / 10;
  const message = new Message(JSON.stringify({ deviceId: 'myDeviceId', temperature }));
  message.contentType = 'application/json';
  message.contentEncoding = 'utf-8';
  message.properties.add('temperatureAlert', temperature > 30 ? 'true' : 'false');
  await client.sendEvent(message);
  sent += 1;
  console.log(`Sent reading ${sent}: ${message.getData()}`);
}

async function main() {
  await client.open();
  console.log('Device connected; sending a reading every second (Ctrl-C to stop)');
  await sendReading();
  const timer = setInterval(() => sendReading().catch((err) => console.error(`send error: ${err.message}`)), 1000);
  process.on('SIGINT', async () => {
    clearInterval(timer);
    await client.close();
    process.exit(0);
  });
}

main().catch(async (err) => {
  console.error(`Failed: ${err.message}`);
  await client.close().catch(() => undefined);
  process.exit(1);
});
