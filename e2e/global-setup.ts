import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCertificates } from '@hubemu/hub-emulator';

/**
 * Makes the e2e certificates once and trusts their CA the way a user does: NODE_EXTRA_CA_CERTS, set
 * here before vitest forks the test workers (Node reads it at process start).
 */
export default function setup(): void {
  const dir = fileURLToPath(new URL('./.hubemu-e2e/certs', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const tls = loadOrCreateCertificates('localhost', dir);
  process.env.NODE_EXTRA_CA_CERTS = tls.caPath;
  process.env.HUBEMU_E2E_CERT_DIR = dir;
}
