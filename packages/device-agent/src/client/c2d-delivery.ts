import type { C2dTopicProperties } from '@hubemu/shared';

/** A cloud-to-device message as the device receives it: the topic's property bag by the SDKs' names, and the body. */
export type C2dDelivery = C2dTopicProperties & { body: Buffer };
