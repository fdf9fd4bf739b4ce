import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** Where the built dashboard is, and whether it is there. */
export interface DashboardFiles {
  dir: string;
  built: boolean;
}

/**
 * Finds the dashboard's built static files: `dir` when given, else the `dist/` folder of the
 * `@hubemu/dashboard` package found by package resolution. The hub never imports the dashboard's
 * source; a missing build is reported (`built: false`), not fatal.
 */
export function locateDashboardFiles(dir?: string): DashboardFiles {
  let root = dir === undefined ? undefined : resolve(dir);
  if (root === undefined) {
    try {
      root = join(dirname(createRequire(import.meta.url).resolve('@hubemu/dashboard/package.json')), 'dist');
    } catch {
      return { dir: '@hubemu/dashboard (not installed)', built: false };
    }
  }
  return { dir: root, built: existsSync(join(root, 'index.html')) };
}
