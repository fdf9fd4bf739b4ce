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
    target: 'es2022',
  },
});
