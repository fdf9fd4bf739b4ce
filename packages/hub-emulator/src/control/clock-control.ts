import { HubError, ManualClock, parseClockRequest, parseIsoDuration, type ClockMode, type ClockMove, type ClockState, type HubClock } from '@hubemu/shared';

/**
 * The test clock's controls, one implementation behind `hub.clock`, `GET/POST /emulator/clock` and
 * `hubemu emulator clock` (docs/testing-with-hubemu.md, "Test clock"). Moving the clock resolves once
 * every timer due by the new time ran, earliest first.
 */
export interface ClockControl {
  readonly mode: ClockMode;
  /** The hub's time, in milliseconds since the epoch. */
  now(): number;
  /** `{ now, mode }`, as `GET /emulator/clock` answers. */
  state(): ClockState;
  /** Sets the test clock to a time (a Date, ISO 8601 with its offset, or epoch ms); never backwards. */
  set(time: Date | string | number): Promise<ClockState>;
  /** Advances the test clock by milliseconds or an ISO 8601 duration (`'PT5M'`). */
  advance(by: number | string): Promise<ClockState>;
  /** A move parsed at its edge (`parseClockRequest`). */
  move(move: ClockMove): Promise<ClockState>;
}

export function clockControl(clock: HubClock): ClockControl {
  const state = (): ClockState => ({ now: new Date(clock.now()).toISOString(), mode: clock.mode });
  const move = async (request: ClockMove): Promise<ClockState> => {
    if (!(clock instanceof ManualClock)) {
      throw new HubError('ArgumentInvalid', "The hub runs the system clock, which cannot be set or advanced: start it with --clock manual (startHub({ clock: 'manual' })) to use a test clock.");
    }
    await ('setTo' in request ? clock.set(request.setTo) : clock.advance(request.advanceBy));
    return state();
  };
  return {
    mode: clock.mode,
    now: () => clock.now(),
    state,
    set: (time) => move(typeof time === 'string' ? parseClockRequest({ now: time }) : { setTo: typeof time === 'number' ? time : time.getTime() }),
    advance: (by) => move({ advanceBy: typeof by === 'string' ? parseIsoDuration(by) : by }),
    move,
  };
}
