import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The hub serves index.html at `/` and everything else under `/dashboard/assets/`; nothing is fetched from elsewhere at run time.
export default defineConfig({
  root: fileURLToPath(new URL('./src', import.meta.url)),
  base: '/dashboard/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2048,
    // Current Chromium and Firefox (115 ESR and later), standard APIs only; nothing newer than ES2022 is emitted.
    target: ['es2022', 'chrome111', 'firefox115'],
  },
});
