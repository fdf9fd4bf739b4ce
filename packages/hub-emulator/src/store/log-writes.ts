import { closeSync, rmSync, writeSync } from 'node:fs';

/**
 * Writes all of `text` at `position`, however many calls it takes (a nearly full disk writes part of a
 * line and then fails). Throws on the first failure; the caller truncates back to `position`.
 */
export function writeFully(fd: number, text: string, position: number): number {
  const written = writeSync(fd, text, position);
  const length = Buffer.byteLength(text);
  if (written === length) return length;
  const bytes = Buffer.from(text);
  for (let done = written; done < length; ) {
    const n = writeSync(fd, bytes, done, length - done, position + done);
    if (n <= 0) throw new Error(`short write: ${done} of ${length} bytes`);
    done += n;
  }
  return length;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Releases a descriptor or a temporary file on a path that already failed: a second failure changes nothing. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already reported by the failure that brought us here
  }
}

export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // a leftover temporary file is overwritten by the next compaction
  }
}
