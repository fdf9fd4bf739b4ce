import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleHubDirs } from './hub-process.js';

let parent: string | undefined;
afterEach(() => {
  if (parent) rmSync(parent, { recursive: true, force: true });
});

describe('fleet hub data dirs', () => {
  it('removes the data dir of a fleet command that is gone and keeps those of running ones and anything else', () => {
    parent = mkdtempSync(join(tmpdir(), 'hubemu-stale-'));
    const gone = spawnSync(process.execPath, ['-e', '0']).pid; // a process that has exited
    const stale = join(parent, `hubemu-fleet-hub-${gone}-abc123`);
    const live = join(parent, `hubemu-fleet-hub-${process.pid}-def456`);
    const other = join(parent, 'hubemu-fleet-hub-notapid');
    for (const dir of [stale, live, other]) mkdirSync(join(dir, 'certs'), { recursive: true });
    expect(removeStaleHubDirs(parent)).toBe(1);
    expect([existsSync(stale), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
  });
});
