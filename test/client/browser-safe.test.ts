// The browser entry (tickstream/client's "browser" condition) must bundle without Node: nothing it
// imports, directly or through other modules, may be node:* or the Node transport.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../helpers/server.js';

const COMPILED = !import.meta.url.endsWith('.ts');

/** Every module the entry reaches, by path relative to the package, and every non-relative specifier met. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports, type-only ones included in sources (they vanish when compiled).
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) {
        external.add(specifier);
        continue;
      }
      const target = resolve(dirname(file), COMPILED ? specifier : specifier.replace(/\.js$/, '.ts'));
      visit(target);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(PACKAGE_ROOT, f)), external: [...external] };
}

describe('browser entry', { timeout: 10_000 }, () => {
  test('index imports nothing from node:* or src/transport, and no package', () => {
    const entry = COMPILED ? join(PACKAGE_ROOT, 'dist/src/client/index.js') : fileURLToPath(new URL('../../src/client/index.ts', import.meta.url));
    const { files, external } = importGraph(entry);
    const node = new Set(builtinModules);
    assert.deepEqual(external.filter((s) => s.startsWith('node:') || node.has(s)), [], 'no Node built-in');
    assert.deepEqual(external, [], 'no package either');
    const forbidden = files.filter((f) => /src[\\/](transport|protocol|app|hub|broker|market|auth)[\\/]/.test(f) || /node-socket|[\\/]node\.(js|ts)$/.test(f));
    assert.deepEqual(forbidden, []);
    assert.ok(files.some((f) => /src[\\/]wire[\\/]/.test(f)), 'the wire types module is shared');
  });
});
