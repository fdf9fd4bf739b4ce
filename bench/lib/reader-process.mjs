// A child process that reads the fleet's telemetry and says when it has read `expected` messages:
// through the hub's Event Hubs-compatible endpoint with Microsoft's @azure/event-hubs (mode `eventhubs`,
// started with NODE_EXTRA_CA_CERTS, as a user would), or, for the floor, as an MQTT subscriber on the
// bare broker (mode `mqtt`). Talks to the parent over IPC.
import mqtt from 'mqtt';

const mode = process.argv[2];
// Counts every message since the start and never resets, so a message that arrives before the parent's
// `expect` is still counted: the parent asks for a running total and hears `done` once it is reached.
let expected = Infinity;
let count = 0;
const check = () => {
  if (count < expected) return;
  expected = Infinity;
  process.send({ type: 'done', at: performance.timeOrigin + performance.now() });
};
const seen = () => {
  count += 1;
  check();
};

process.on('message', async (message) => {
  if (message.type === 'expect') {
    expected = message.total;
    check();
  } else if (message.type === 'start' && mode === 'eventhubs') {
    const { EventHubConsumerClient, earliestEventPosition } = await import('@azure/event-hubs');
    const consumer = new EventHubConsumerClient('$Default', message.connectionString);
    let ready = 0;
    const partitions = await consumer.getPartitionIds();
    consumer.subscribe(
      {
        processInitialize: async () => {
          ready += 1;
          if (ready === partitions.length) process.send({ type: 'started' });
        },
        processEvents: async (events) => events.forEach(seen),
        processError: async (error) => process.stderr.write(`reader: ${error.message}\n`),
      },
      { startPosition: earliestEventPosition, maxBatchSize: 500, maxWaitTimeInSeconds: 1 },
    );
  } else if (message.type === 'start' && mode === 'mqtt') {
    const client = await mqtt.connectAsync(`mqtts://localhost:${message.port}`, { ca: message.ca, clientId: 'reader', protocolVersion: 4, reconnectPeriod: 0 });
    client.on('message', seen);
    await client.subscribeAsync('devices/+/messages/events/#', { qos: 1 });
    process.send({ type: 'started' });
  }
});
process.send({ type: 'ready' });
