import type { WorkerDevice } from './protocol.js';
import type { Scenario } from './scenario.js';

/** Splits `total` over the models in proportion to their counts (largest remainder), or uses the counts as they are. */
export function modelCounts(scenario: Scenario, total: number | undefined): number[] {
  const weights = scenario.devices.map((d) => d.count ?? 1);
  if (total === undefined) return weights;
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) throw new Error('Every device model of the scenario has count 0.');
  const exact = weights.map((w) => (w * total) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < total; k++) {
    const index = order[k % order.length]?.i ?? 0;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** Every device of the run: ids `fleet-{model}-{index}` (a group suffix when a model appears twice); a model's offline share are its first devices. */
export function allocateDevices(scenario: Scenario, total: number | undefined): WorkerDevice[] {
  const counts = modelCounts(scenario, total);
  const seen = new Map<string, number>();
  const devices: WorkerDevice[] = [];
  scenario.devices.forEach((model, index) => {
    const repeat = seen.get(model.model) ?? 0;
    seen.set(model.model, repeat + 1);
    const prefix = repeat === 0 ? `fleet-${model.model}-` : `fleet-${model.model}${repeat + 1}-`;
    const count = counts[index] ?? 0;
    const offline = Math.round((model.offline?.share ?? 0) * count);
    for (let i = 0; i < count; i++) devices.push({ id: `${prefix}${String(i).padStart(5, '0')}`, model: index, offline: i < offline });
  });
  return devices;
}

/** Connections one loopback source address may carry to one hub port (of about 28,000 ephemeral ports). */
export const CONNECTIONS_PER_SOURCE_ADDRESS = 25_000;

/** Cuts the fleet into per-process slices, each with its source address when the fleet needs more than one. */
export function sliceFleet(devices: readonly WorkerDevice[], perProcess: number, loopback: boolean): Array<{ devices: WorkerDevice[]; localAddress: string | undefined }> {
  const spread = loopback && devices.length > CONNECTIONS_PER_SOURCE_ADDRESS;
  const slices: Array<{ devices: WorkerDevice[]; localAddress: string | undefined }> = [];
  for (let start = 0; start < devices.length; start += perProcess) {
    const address = spread ? `127.0.0.${1 + Math.floor(start / CONNECTIONS_PER_SOURCE_ADDRESS)}` : undefined;
    slices.push({ devices: devices.slice(start, start + perProcess), localAddress: address });
  }
  return slices;
}
