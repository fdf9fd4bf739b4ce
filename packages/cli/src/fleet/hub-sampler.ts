import type { FleetRecorder } from './fleet-recorder.js';
import { readProcessUsage, type ProcessUsage } from './process-usage.js';

const SAMPLE_MS = 500;
/** Points kept in the timeline (about 17 minutes at two a second; longer runs keep them further apart). */
export const MAX_SAMPLES = 2_000;

export interface HubUsageSummary {
  cpu: { meanPercent: number; maxPercent: number };
  memory: { startRssMb: number; maxRssMb: number; endRssMb: number; perConnectedDeviceKb: number | null };
}

export interface HubSampler {
  summary(connectedDevices: number): HubUsageSummary | undefined;
  stop(): Promise<void>;
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

/** The processes of a hub together (a cluster's hub processes: CPU and memory summed); a process that is gone counts nothing. */
function readUsage(pids: readonly number[]): ProcessUsage | undefined {
  let total: ProcessUsage | undefined;
  for (const pid of pids) {
    const usage = readProcessUsage(pid);
    if (usage) total = { cpuMs: (total?.cpuMs ?? 0) + usage.cpuMs, rssBytes: (total?.rssBytes ?? 0) + usage.rssBytes };
  }
  return total;
}

/**
 * Twice a second: appends a timeline sample (devices connected/converged/failed, messages per second each way)
 * and, when the command started the hub (`pid`), the hub's CPU share and resident memory from /proc.
 */
export function sampleHub(pids: readonly number[] | undefined, recorder: FleetRecorder): HubSampler {
  const pid = pids && pids.length > 0 ? pids : undefined;
  const first = pid === undefined ? undefined : readUsage(pid);
  let previous: { at: number; usage: ProcessUsage | undefined; sent: number; received: number } = { at: performance.now(), usage: first, sent: 0, received: 0 };
  // Running numbers, not histories: a week-long soak keeps as little as a ten-second run.
  const cpu = { sum: 0, count: 0, max: 0 };
  const rss = { start: first?.rssBytes, max: first?.rssBytes ?? 0, last: first?.rssBytes ?? 0 };
  let stride = 1;
  let ticks = 0;
  const tick = (force = false): void => {
    // The timeline keeps at most MAX_SAMPLES points: when full, every other one goes and the spacing doubles.
    if (++ticks % stride !== 0 && !force) return;
    const at = performance.now();
    const usage = pid === undefined ? undefined : readUsage(pid);
    const counts = recorder.counts();
    const seconds = Math.max(at - previous.at, 1) / 1000;
    let cpuPercent: number | null = null;
    if (usage && previous.usage) {
      cpuPercent = Math.round(((usage.cpuMs - previous.usage.cpuMs) / (at - previous.at)) * 1000) / 10;
      cpu.sum += cpuPercent;
      cpu.count++;
      cpu.max = Math.max(cpu.max, cpuPercent);
    }
    if (usage) {
      rss.start ??= usage.rssBytes;
      rss.max = Math.max(rss.max, usage.rssBytes);
      rss.last = usage.rssBytes;
    }
    if (recorder.timeline.length >= MAX_SAMPLES) {
      const kept = recorder.timeline.filter((_, i) => i % 2 === 1);
      recorder.timeline.splice(0, recorder.timeline.length, ...kept);
      stride *= 2;
    }
    recorder.timeline.push({
      t: Math.round((Date.now() - recorder.startedAt) / 100) / 10,
      connected: counts.connected,
      converged: counts.converged,
      failed: counts.failed,
      sentPerSecond: Math.round((counts.sent - previous.sent) / seconds),
      receivedPerSecond: Math.round((counts.received - previous.received) / seconds),
      hubCpuPercent: cpuPercent,
      hubRssMb: usage ? mb(usage.rssBytes) : null,
    });
    previous = { at, usage: usage ?? previous.usage, sent: counts.sent, received: counts.received };
  };
  const timer = setInterval(() => tick(), SAMPLE_MS);
  return {
    summary(connectedDevices) {
      if (pid === undefined || rss.start === undefined) return undefined;
      return {
        cpu: { meanPercent: cpu.count === 0 ? 0 : Math.round((cpu.sum / cpu.count) * 10) / 10, maxPercent: cpu.max },
        memory: {
          startRssMb: mb(rss.start),
          maxRssMb: mb(rss.max),
          endRssMb: mb(rss.last),
          perConnectedDeviceKb: connectedDevices > 0 ? Math.round(((rss.max - rss.start) / 1024 / connectedDevices) * 10) / 10 : null,
        },
      };
    },
    async stop() {
      tick(true);
      clearInterval(timer);
    },
  };
}
