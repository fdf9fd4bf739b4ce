import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateCertificates } from './certs.js';
import { fillDisk, testDirs } from './store/store-test-dirs.fixtures.js';

const dirs = testDirs();
afterEach(() => dirs.cleanUp());

describe('certificates on a disk that runs full', () => {
  it('never leaves a torn certificate file behind: a later start with room makes or loads a whole set', () => {
    const certDir = dirs.smallDisk(64);
    const filler = fillDisk(certDir);
    // One page left: the CA key fits, the CA certificate does not.
    execFileSync('truncate', ['-s', `-${4096}`, filler]);
    expect(() => loadOrCreateCertificates('localhost', certDir)).toThrow(/ENOSPC|no space/i);
    rmSync(filler);
    const tls = loadOrCreateCertificates('localhost', certDir);
    expect(tls.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(tls.cert).toContain(tls.caPem);
    expect(statSync(join(certDir, 'ca.pem')).size).toBeGreaterThan(0);
  });
});
