'use strict';
// Tutorial 4, reading telemetry (Microsoft's ReadDeviceToCloudMessages.js of the telemetry quickstart, run
// against hubemu): read every device's messages from the hub's built-in Event Hubs-compatible endpoint
// with @azure/event-hubs, from every partition, and print each with the properties the hub stamped.
//   node docs/tutorials/code/4-messaging/read-telemetry.js
// EVENTHUB_CONNECTION_STRING: the hub's Event Hub-compatible connection string
// (npx hubemu hub connection-string show --default-eventhub).

const { EventHubConsumerClient, earliestEventPosition } = require('@azure/event-hubs');

const connectionString = process.env.EVENTHUB_CONNECTION_STRING;
if (!connectionString) {
  console.error('Set EVENTHUB_CONNECTION_STRING to the Event Hub-compatible connection string.');
  process.exit(1);
}
const consumer = new EventHubConsumerClient('$Default', connectionString);

async function main() {
  const partitions = await consumer.getPartitionIds();
  console.log(`Reading partitions ${partitions.join(', ')} (Ctrl-C to stop)`);
  consumer.subscribe(
    {
      processEvents: async (events, context) => {
        for (const event of events) {
          const device = event.systemProperties['iothub-connection-device-id'];
          console.log(`Partition ${context.partitionId}, from ${device}: ${JSON.stringify(event.body)} properties ${JSON.stringify(event.properties)}`);
        }
      },
      processError: async (err) => console.error(`Error: ${err.message}`),
    },
    { startPosition: earliestEventPosition },
  );
  process.on('SIGINT', async () => {
    await consumer.close();
    process.exit(0);
  });
}

main().catch((err) => {
  console.error(`Failed: ${err.message}`);
  process.exit(1);
});
