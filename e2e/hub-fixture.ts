import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, type Hub, type HubOptionsInput } from '@hubemu/hub-emulator';

/**
 * A disposable hub on the real ports (MQTT/TLS 8883, HTTPS 443) with the e2e certificates, so
 * Microsoft's SDKs connect with nothing but a connection string.
 */
export async function startE2eHub(options: HubOptionsInput = {}): Promise<Hub & { dispose(): Promise<void> }> {
  const certDir = process.env.HUBEMU_E2E_CERT_DIR;
  if (!certDir) throw new Error('e2e/global-setup.ts did not run');
  const dataDir = mkdtempSync(join(tmpdir(), 'hubemu-e2e-'));
  const hub = await startHub({
    mqttPort: 8883,
    httpsPort: 443,
    dataDir,
    tls: { cert: readFileSync(join(certDir, 'server.pem'), 'utf8'), key: readFileSync(join(certDir, 'server-key.pem'), 'utf8') },
    ...options,
  });
  return Object.assign(hub, {
    async dispose() {
      await hub.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Resolves with the first value `probe` returns that is not undefined, polling until `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The error an SDK call rejects with (Microsoft's SDK errors carry `response` and `responseBody`); throws when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { response?: { statusCode: number }; responseBody?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the call to fail');
  return error;
}
