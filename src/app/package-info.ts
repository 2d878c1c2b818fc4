/**
 * Locates the package root (the directory holding tickstream's package.json) from this module's
 * own location. Works both from src/app (tsx) and from dist/src/app (compiled).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_DEPTH = 6;

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name === 'tickstream') return dir;
      } catch {
        // not our package.json; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('tickstream: cannot locate the package root (package.json) from ' + import.meta.url);
}

export const PACKAGE_ROOT: string = findPackageRoot();

export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** Where `npm run build:web` puts the dashboard. */
export const DEFAULT_WEB_ROOT: string = join(PACKAGE_ROOT, 'dist', 'web');
