import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages (no build needed for unit tests);
// the CLI tests run the built binary, which `npm test` builds first.
const alias = {
  '@hubemu/shared': src('shared'),
  '@hubemu/hub-emulator': src('hub-emulator'),
  '@hubemu/device-agent': src('device-agent'),
  '@hubemu/backend': src('backend'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          // docs/examples/vitest: the testing guide's example suite runs as written.
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'docs/examples/vitest/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          // Every e2e file starts its own hub on the real ports (8883, 443), so files run one at a time.
          fileParallelism: false,
          globalSetup: ['e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
