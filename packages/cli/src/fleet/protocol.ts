import type { FleetReport, Transport } from '@hubemu/device-agent';
import type { Convergence, DeviceModel, Distribution } from './scenario.js';

/** One device a worker runs: its id, its model (index into `models`) and whether it has offline periods. */
export interface WorkerDevice {
  id: string;
  model: number;
  offline: boolean;
}

/** Parent -> worker: everything a worker process needs to run its share of the fleet. */
export interface WorkerInit {
  type: 'init';
  /** A hub connection string whose policy has DeviceConnect; devices sign their own tokens with it. */
  connectionString: string;
  ca: string | undefined;
  transport: Transport;
  port: number;
  /** Source address of this worker's connections (127.0.0.x), when the fleet is spread over several. */
  localAddress: string | undefined;
  /** Offer the last TLS session of this process to the hub (mqtts, wss). */
  resumeTlsSession: boolean;
  models: DeviceModel[];
  devices: WorkerDevice[];
  connectRate: number;
  maxConcurrentConnects: number;
  connectAttempts: number;
  seed: number;
}

export type ParentMessage =
  | WorkerInit
  /** From now on, report each device's convergence (`since`: epoch ms). */
  | { type: 'watch'; convergence: Convergence; since: number }
  | { type: 'disconnect'; deviceIds: string[]; downtimeMs: Distribution }
  | { type: 'stop' };

/** Epoch milliseconds (performance.timeOrigin + performance.now(), comparable across the processes of one machine). */
export type DeviceEvent =
  | { kind: 'connected'; deviceId: string; at: number; latencyMs: number; attempts: number }
  | { kind: 'reconnected'; deviceId: string; at: number }
  | { kind: 'lost'; deviceId: string; at: number }
  | { kind: 'failed'; deviceId: string; at: number; reason: string }
  | { kind: 'converged'; deviceId: string; at: number }
  | { kind: 'convergenceFailed'; deviceId: string; at: number; reason: string }
  | { kind: 'error'; deviceId: string; at: number; reason: string };

export type WorkerMessage =
  /** Events since the last batch, the worker's message counters so far and its devices connected now. */
  | { type: 'batch'; events: DeviceEvent[]; sent: number; received: number; connected: number; connects: number; tlsResumed: number }
  /** Every device has connected or failed. */
  | { type: 'settled' }
  | { type: 'stopped'; report: FleetReport }
  | { type: 'fatal'; message: string };

/** Wall-clock time in ms with sub-millisecond precision. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
