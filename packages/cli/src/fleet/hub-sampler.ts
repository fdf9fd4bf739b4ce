import type { FleetRecorder } from './fleet-recorder.js';
import { readProcessUsage, type ProcessUsage } from './process-usage.js';

const SAMPLE_MS = 500;

export interface HubUsageSummary {
  cpu: { meanPercent: number; maxPercent: number };
  memory: { startRssMb: number; maxRssMb: number; endRssMb: number; perConnectedDeviceKb: number | null };
}

export interface HubSampler {
  summary(connectedDevices: number): HubUsageSummary | undefined;
  stop(): Promise<void>;
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

/**
 * Twice a second: appends a timeline sample (devices connected/converged/failed, messages per second each way)
 * and, when the command started the hub (`pid`), the hub's CPU share and resident memory from /proc.
 */
export function sampleHub(pid: number | undefined, recorder: FleetRecorder): HubSampler {
  const first = pid === undefined ? undefined : readProcessUsage(pid);
  let previous: { at: number; usage: ProcessUsage | undefined; sent: number; received: number } = { at: performance.now(), usage: first, sent: 0, received: 0 };
  const cpu: number[] = [];
  const rss: number[] = first ? [first.rssBytes] : [];
  const tick = (): void => {
    const at = performance.now();
    const usage = pid === undefined ? undefined : readProcessUsage(pid);
    const counts = recorder.counts();
    const seconds = Math.max(at - previous.at, 1) / 1000;
    let cpuPercent: number | null = null;
    if (usage && previous.usage) {
      cpuPercent = Math.round(((usage.cpuMs - previous.usage.cpuMs) / (at - previous.at)) * 1000) / 10;
      cpu.push(cpuPercent);
    }
    if (usage) rss.push(usage.rssBytes);
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
  const timer = setInterval(tick, SAMPLE_MS);
  return {
    summary(connectedDevices) {
      if (pid === undefined || rss.length === 0) return undefined;
      const start = rss[0] ?? 0;
      const max = Math.max(...rss);
      return {
        cpu: { meanPercent: cpu.length === 0 ? 0 : Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 10) / 10, maxPercent: cpu.length === 0 ? 0 : Math.max(...cpu) },
        memory: {
          startRssMb: mb(start),
          maxRssMb: mb(max),
          endRssMb: mb(rss[rss.length - 1] ?? 0),
          perConnectedDeviceKb: connectedDevices > 0 ? Math.round(((max - start) / 1024 / connectedDevices) * 10) / 10 : null,
        },
      };
    },
    async stop() {
      tick();
      clearInterval(timer);
    },
  };
}
