import { SingleBar } from 'cli-progress';
import type { FleetRecorder } from './fleet-recorder.js';

export interface Progress {
  update(recorder: FleetRecorder, phase: string): void;
  stop(): void;
}

/** A progress bar on the terminal (connected, converged, failed, messages per second); nothing when stdout is not a terminal. */
export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stdout.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: '{phase} [{bar}] {value}/{total} | connected {connected} | converged {converged} | failed {failed} | {rate} msg/s',
    hideCursor: true,
    stream: process.stdout,
  });
  let started = false;
  let last = { at: performance.now(), messages: 0 };
  return {
    update(recorder, phase) {
      const counts = recorder.counts();
      const now = performance.now();
      const messages = counts.sent + counts.received;
      const rate = Math.round(((messages - last.messages) * 1000) / Math.max(now - last.at, 1));
      last = { at: now, messages };
      const value = phase === 'rollout' || phase === 'stopping' ? counts.converged : counts.everConnected;
      const payload = { phase: phase.padEnd(10), connected: counts.connected, converged: counts.converged, failed: counts.failed, rate };
      if (!started) {
        bar.start(counts.planned, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
