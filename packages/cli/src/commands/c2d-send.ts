import { randomUUID } from 'node:crypto';
import { Client } from 'azure-iothub';
import { z } from 'zod';
import common from 'azure-iot-common';
import type { Message as MessageType } from 'azure-iot-common';
import { parseLogin, serviceConnectionString, type Ack } from './messaging-args.js';
import { EXIT, UsageError, type ServiceFlags } from './service-command.js';

// azure-iot-common is CommonJS whose exports Node cannot name statically.
const { Message, NoRetry } = common;

export interface SendFlags extends ServiceFlags {
  deviceId: string;
  data: string;
  messageId?: string;
  correlationId?: string;
  contentType?: string;
  contentEncoding?: string;
  ack?: Ack;
  props: Record<string, string>;
  expiry?: number;
  waitOnFeedback?: boolean;
  timeout: number;
  amqpPort: number;
}

/** A feedback batch, as the hub sends it (iothub-messaging.md §5): records are checked, unknown fields kept. */
const FeedbackBatchSchema = z.array(
  z.looseObject({
    originalMessageId: z.string(),
    statusCode: z.string(),
    description: z.string().optional(),
    deviceId: z.string(),
    enqueuedTimeUtc: z.string().optional(),
  }),
);
type FeedbackRecord = z.infer<typeof FeedbackBatchSchema>[number];

type FeedbackReceiver = Awaited<ReturnType<Client['getFeedbackReceiver']>>['result'];

/** An error from azure-iothub, as its translateError makes them. */
export class AmqpCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function amqpFailure(error: unknown): AmqpCommandError {
  const failure = error as Error & { amqpError?: Error & { code?: string; condition?: string; description?: string }; code?: string };
  const inner = failure.amqpError;
  const detail = inner?.description ?? inner?.message;
  const text = `${failure.name}: ${failure.message}${detail && detail !== failure.message ? ` (${detail})` : ''}`;
  // azure-iothub reports a refused or dropped transport as NotConnectedError ("rhea: connection disconnected").
  const unreachable = /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH)\b|NotConnectedError|certificate|self[- ]signed/.test(`${inner?.code ?? ''} ${failure.code ?? ''} ${text}`);
  return new AmqpCommandError(text, unreachable ? EXIT.unreachable : EXIT.hubError);
}

/** The message `c2d-message send` sends, from its flags. */
export function c2dMessageOf(flags: Pick<SendFlags, 'data' | 'messageId' | 'correlationId' | 'contentType' | 'contentEncoding' | 'ack' | 'props' | 'expiry'>): MessageType {
  const message = new Message(flags.data);
  // az gives every message an id, so its feedback can be matched to it.
  message.messageId = flags.messageId ?? randomUUID();
  if (flags.correlationId !== undefined) message.correlationId = flags.correlationId;
  if (flags.contentType !== undefined) message.contentType = flags.contentType as 'application/json';
  if (flags.contentEncoding !== undefined) message.contentEncoding = flags.contentEncoding as 'utf-8';
  if (flags.ack !== undefined) message.ack = flags.ack;
  if (flags.expiry !== undefined) message.expiryTimeUtc = new Date(flags.expiry);
  for (const [key, value] of Object.entries(flags.props)) message.properties.add(key, value);
  return message;
}

/** Waits for the feedback record of `messageId` (completing every batch it reads), or gives up after `timeoutSeconds` (0: never). */
function feedbackFor(receiver: FeedbackReceiver, messageId: string, timeoutSeconds: number): Promise<FeedbackRecord> {
  return new Promise((resolve, reject) => {
    const timer = timeoutSeconds > 0 ? setTimeout(() => reject(new AmqpCommandError(`No feedback for message ${messageId} within ${timeoutSeconds} s.`, EXIT.hubError)), timeoutSeconds * 1000) : undefined;
    receiver.on('errorReceived', (error: Error) => reject(amqpFailure(error)));
    receiver.on('message', (batch: MessageType) => {
      receiver.complete(batch, () => {});
      let records: FeedbackRecord[];
      try {
        records = FeedbackBatchSchema.parse(JSON.parse(batch.getData().toString()));
      } catch {
        return; // not a batch this command can read: it waits for the next
      }
      const record = records.find((r) => r.originalMessageId === messageId);
      if (!record) return;
      if (timer) clearTimeout(timer);
      resolve(record);
    });
  });
}

/** Sends one message over AMQP with azure-iothub, to the hub's AMQP port (the port goes in HostName, which the SDK's URI takes as it is). */
export async function send(flags: SendFlags): Promise<unknown> {
  const login = parseLogin(flags.login);
  const connectionString = serviceConnectionString(login.host, login.policyName, login.key, flags.amqpPort === 5671 ? undefined : flags.amqpPort);
  const client = Client.fromConnectionString(connectionString);
  // A command answers at once: an unreachable hub is an error now, not after the SDK's minutes of retries.
  client.setRetryPolicy(new NoRetry());
  try {
    await client.open();
    const message = c2dMessageOf(flags);
    // The feedback receiver is attached before the message goes, so a quick answer is not missed.
    const receiver = flags.waitOnFeedback ? (await client.getFeedbackReceiver()).result : undefined;
    const feedback = receiver ? feedbackFor(receiver, message.messageId, flags.timeout) : undefined;
    await client.send(flags.deviceId, message);
    const sent = { deviceId: flags.deviceId, messageId: message.messageId, ...(flags.ack ? { ack: flags.ack } : {}) };
    return feedback ? { ...sent, feedback: await feedback } : sent;
  } catch (error) {
    throw error instanceof AmqpCommandError || error instanceof UsageError ? error : amqpFailure(error);
  } finally {
    await client.close().catch(() => undefined);
  }
}

