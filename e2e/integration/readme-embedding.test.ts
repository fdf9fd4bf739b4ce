import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { docSnippet } from './doc-snippet.js';

// The README's "Embedding in tests" snippet is what people paste first: it must run as written.
const snippet = docSnippet('README.md', '## Embedding in tests');
const module = fileURLToPath(new URL('./.readme-embedding.generated.ts', import.meta.url));

afterAll(() => rmSync(module, { force: true }));

describe('the README embedding snippet', () => {
  it('runs as written: a hub on free ports, Microsoft’s device SDK, a twin patch with our client, reset and stop', async () => {
    expect(snippet).toContain('startHub(');
    // Everything the snippet does is awaited; it throws if any step fails. What it leaves behind is checked below.
    writeFileSync(module, `${snippet}\nexport const after = { hub };\n`);
    const { after } = (await import(module)) as { after: { hub: { connectedDevices(): string[]; registry: { statistics(): { totalDeviceCount: number } } } } };
    expect(after.hub.connectedDevices()).toEqual([]);
    expect(after.hub.registry.statistics().totalDeviceCount).toBe(0);
  });
});
