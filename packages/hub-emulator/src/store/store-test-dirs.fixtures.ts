import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { DurableStore } from './durable-store.js';

/** Unique temporary directories, some of them small tmpfs mounts; `cleanUp()` unmounts and removes them all. */
export function testDirs(): {
  dir: () => string;
  smallDisk: (kilobytes: number) => string;
  /** `chattr +i` (or `-i`): nothing can be created, renamed or removed in the directory, even by root. */
  immutable: (dir: string, on?: boolean) => void;
  cleanUp: () => void;
} {
  const dirs: string[] = [];
  const mounts: string[] = [];
  const frozen = new Set<string>();
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hubemu-store-'));
    dirs.push(d);
    return d;
  };
  return {
    dir,
    smallDisk(kilobytes) {
      const d = dir();
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'tmpfs', d]);
      mounts.push(d);
      return d;
    },
    immutable(d, on = true) {
      execFileSync('chattr', [on ? '+i' : '-i', d]);
      if (on) frozen.add(d);
      else frozen.delete(d);
    },
    cleanUp() {
      for (const d of frozen) execFileSync('chattr', ['-i', d]);
      frozen.clear();
      // Lazy, so a descriptor a failing test left open cannot keep the mount (and the next test's run) busy.
      for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Writes a file as large as the disk lets it, leaving (nearly) no room; returns its path. */
export function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=4k'], { stdio: 'ignore' });
  } catch {
    // dd stops with "No space left on device": that is the point
  }
  return path;
}

/** Test directories and the durable stores a test opens in them: after each test the stores are closed, then the directories removed. */
export function storesInTestDirs(): { dirs: ReturnType<typeof testDirs>; stores: DurableStore[] } {
  const dirs = testDirs();
  const stores: DurableStore[] = [];
  afterEach(() => {
    try {
      for (const s of stores.splice(0)) s.close();
    } finally {
      dirs.cleanUp();
    }
  });
  return { dirs, stores };
}
