'use strict';
// Tutorial 4, the back end (Microsoft's SendCloudToDeviceMessage.js of "Send cloud-to-device messages",
// run against hubemu): send myDeviceId a message over AMQP asking for full feedback, and print the
// feedback the hub sends once the device has completed (or rejected, or let expire) it.
//   node docs/tutorials/code/4-messaging/send-c2d.js [text]
// IOTHUB_CONNECTION_STRING: a service connection string (the well-known owner one works).

const { Client } = require('azure-iothub');
const { Message } = require('azure-iot-common');

const connectionString = process.env.IOTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set IOTHUB_CONNECTION_STRING to a service connection string.');
  process.exit(1);
}
const targetDevice = 'myDeviceId';
const serviceClient = Client.fromConnectionString(connectionString);

async function main() {
  await serviceClient.open();
  console.log('Service client connected');
  const message = new Message(process.argv[2] || 'Cloud to device message.');
  message.ack = 'full'; // feedback when the device completes it, and when it is rejected, expires or is purged
  message.messageId = `My Message ID ${Date.now()}`;

  const { result: receiver } = await serviceClient.getFeedbackReceiver();
  const feedback = new Promise((resolve) => {
    receiver.on('message', (msg) => {
      const records = JSON.parse(msg.getData().toString());
      for (const record of records) console.log(`Feedback: ${record.statusCode} for message ${record.originalMessageId} of ${record.deviceId}`);
      if (records.some((record) => record.originalMessageId === message.messageId)) resolve();
    });
  });

  await serviceClient.send(targetDevice, message);
  console.log(`Sent: ${message.getData()} (messageId ${message.messageId})`);
  await feedback;
  await serviceClient.close();
}

main().catch(async (err) => {
  console.error(`Failed: ${err.message}`);
  await serviceClient.close().catch(() => undefined);
  process.exit(1);
});
