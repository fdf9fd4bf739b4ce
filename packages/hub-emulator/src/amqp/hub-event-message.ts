import rhea, { type Message } from 'rhea';
import type { HubEvent, PartitionInfo } from '../event-hub/event-hub-types.js';

const { types } = rhea;

/**
 * One event of the built-in endpoint as @azure/event-hubs reads it (reference iothub-messaging.md §8):
 * the hub's stamps as message annotations with the service's AMQP types (x-opt-sequence-number long,
 * x-opt-offset string, timestamps), the device's system properties in the properties section, its
 * application properties, and the payload as a data section.
 */
export function hubEventMessage(event: HubEvent, runtime?: PartitionInfo, retrievedAtMs?: number): Message {
  const enqueued = new Date(event.enqueuedTimeMs);
  const annotations: Record<string, unknown> = {
    'iothub-connection-device-id': event.deviceId,
    ...(event.moduleId === undefined ? {} : { 'iothub-connection-module-id': event.moduleId }),
    ...event.annotations,
    'iothub-enqueuedtime': enqueued,
    'iothub-message-source': event.messageSource,
    'x-opt-sequence-number': types.wrap_long(event.sequenceNumber),
    'x-opt-offset': event.offset,
    'x-opt-enqueued-time': enqueued,
  };
  const message: Message = {
    message_annotations: annotations,
    application_properties: { ...event.properties },
    body: rhea.message.data_section(event.body),
  };
  if (event.messageId !== undefined) message.message_id = event.messageId;
  if (event.correlationId !== undefined) message.correlation_id = event.correlationId;
  if (event.userId !== undefined) message.user_id = Buffer.from(event.userId, 'utf8') as unknown as string; // binary on the wire
  if (event.contentType !== undefined) message.content_type = event.contentType;
  if (event.contentEncoding !== undefined) message.content_encoding = event.contentEncoding;
  if (runtime) {
    // trackLastEnqueuedEventProperties: the partition's newest event, as delivery annotations.
    message.delivery_annotations = {
      last_enqueued_sequence_number: types.wrap_long(runtime.lastEnqueuedSequenceNumber),
      last_enqueued_offset: runtime.lastEnqueuedOffset,
      last_enqueued_time_utc: new Date(runtime.lastEnqueuedTimeMs),
      runtime_info_retrieval_time_utc: new Date(retrievedAtMs ?? Date.now()),
    };
  }
  return message;
}
