import type { Connection } from 'rhea';

interface Frame {
  channel: number;
}
type FrameHandler = (frame: Frame) => void;
interface FrameHandlers {
  remote_channel_map: Record<number, unknown>;
  on_begin: FrameHandler;
  on_end: FrameHandler;
  on_detach: FrameHandler;
  on_transfer: FrameHandler;
  on_disposition: FrameHandler;
  on_flow: FrameHandler;
}

/** The frames that only make sense inside a session. */
const SESSION_FRAMES = ['on_detach', 'on_transfer', 'on_disposition', 'on_flow'] as const;

/**
 * Drops, instead of closing the connection, a session frame that arrives on a channel whose session
 * the peer already ended (until it begins a new session there). rhea's client sends such frames: a
 * delivery that crosses its `end` is settled with a disposition on the ended channel, which
 * @azure/event-hubs does whenever a subscription closes while events are on their way. rhea treats
 * that as a protocol error and closes the connection; the service carries on, and the SDK counts on
 * it: its request in flight on that connection would wait out a 60-second timeout.
 */
export function dropFramesAfterEnd(connection: Connection, dropped: (frame: string, channel: number) => void): void {
  const handlers = connection as unknown as FrameHandlers;
  const ended = new Set<number>();
  const onBegin = handlers.on_begin.bind(connection);
  const onEnd = handlers.on_end.bind(connection);
  handlers.on_begin = (frame) => {
    ended.delete(frame.channel);
    onBegin(frame);
  };
  handlers.on_end = (frame) => {
    ended.add(frame.channel);
    onEnd(frame);
  };
  for (const name of SESSION_FRAMES) {
    const handle = handlers[name].bind(connection);
    handlers[name] = (frame) => {
      if (handlers.remote_channel_map[frame.channel] === undefined && ended.has(frame.channel)) dropped(name.slice('on_'.length), frame.channel);
      else handle(frame);
    };
  }
}
