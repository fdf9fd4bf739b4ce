/**
 * The partition of a device's events. The service uses "a hash of the device ID" (iothub-messaging.md
 * §8) without saying which; any stable hash keeps a device's events in order in one partition. hubemu
 * uses 32-bit FNV-1a over the device id's UTF-8 bytes, modulo the partition count: stable across
 * processes and restarts, so a reader that checkpoints per partition finds a device where it left it.
 * A module's events go where its device's go.
 */
export function partitionOf(deviceId: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(deviceId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}
