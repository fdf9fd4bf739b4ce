import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { docSnippet } from './doc-snippet.js';

// The test clock's example in docs/testing-with-hubemu.md must run as written.
const snippet = docSnippet('docs/testing-with-hubemu.md', '## Test clock', '### Example');
const module = fileURLToPath(new URL('./.test-clock-example.generated.ts', import.meta.url));

afterAll(() => rmSync(module, { force: true }));

describe('the test clock example of docs/testing-with-hubemu.md', () => {
  it('runs as written: a scheduled job starts when the clock is set to its startTime and completes', async () => {
    expect(snippet).toContain("clock: { mode: 'manual'");
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      writeFileSync(module, snippet);
      await import(module);
      expect(log).toHaveBeenCalledWith('completed', 'eco');
    } finally {
      log.mockRestore();
    }
  });
});
