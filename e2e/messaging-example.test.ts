import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { docSnippet } from './integration/doc-snippet.js';
import { startE2eHub } from './hub-fixture.js';

// The worked example of docs/messaging.md runs as written, against a hub on the real ports.
const snippet = docSnippet('docs/messaging.md', '## Worked example');
const module = fileURLToPath(new URL('./.messaging-example.generated.ts', import.meta.url));
let hub: Awaited<ReturnType<typeof startE2eHub>>;

beforeAll(async () => {
  hub = await startE2eHub();
});
afterAll(async () => {
  rmSync(module, { force: true });
  await hub.dispose();
});

describe('the worked example of docs/messaging.md', () => {
  it('reads the telemetry back, delivers the command and prints its Success feedback', async () => {
    expect(snippet).toContain('EventHubConsumerClient');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      writeFileSync(module, snippet);
      await import(module);
      expect(log).toHaveBeenCalledWith('telemetry', { temperature: 21.5 }, 'Telemetry');
      expect(log).toHaveBeenCalledWith('device got', 'reboot');
      expect(log).toHaveBeenCalledWith('feedback', 'Success');
    } finally {
      log.mockRestore();
    }
  });
});
