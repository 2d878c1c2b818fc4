#!/usr/bin/env node
// Builds the browser pages into dist/web/:
//   web/src/dashboard.ts, web/src/console.ts  -> dist/web/assets/*.js (esbuild bundles; code loaded with a
//                                                dynamic import, i.e. the chart and lightweight-charts,
//                                                goes to its own chunk-*.js so the page does not wait for it)
//   web/*.html                                -> dist/web/*.html
//   web/*.css                                 -> dist/web/assets/*.css
// Usage: node scripts/build-web.mjs [--if-needed]
//   --if-needed: do nothing when every output is newer than every file under web/ (used by `npm start`).
// Prints exactly one line. Exported `buildWeb()` lets tests run the same build in-process.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDir = join(root, 'web');
const outDir = join(root, 'dist', 'web');
const entryPoints = ['dashboard', 'console'];

/** Newest modification time of any file below `dir` (0 when the directory is missing). */
function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Oldest modification time of the files the build must produce (0 when one is missing). */
function oldestOutput(dir = outDir) {
  const outputs = [
    ...entryPoints.map((e) => join(dir, 'assets', `${e}.js`)),
    ...readdirSync(webDir).filter((n) => n.endsWith('.html')).map((n) => join(dir, n)),
  ];
  let oldest = Infinity;
  for (const p of outputs) {
    if (!existsSync(p)) return 0;
    oldest = Math.min(oldest, statSync(p).mtimeMs);
  }
  return oldest;
}

/** Builds dist/web; returns a one-line summary. */
export async function buildWeb({ ifNeeded = false } = {}) {
  if (ifNeeded && oldestOutput() > newestMtime(webDir)) return `build-web: ${relative(root, outDir)} is up to date`;
  const started = performance.now();
  // Build beside the output and swap it in at the end: test processes run in parallel and may be
  // serving dist/web while another one rebuilds it, so it must never be seen half-written.
  const stage = `${outDir}.build-${process.pid}`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: Object.fromEntries(entryPoints.map((e) => [e, join(webDir, 'src', `${e}.ts`)])),
    outdir: join(stage, 'assets'),
    bundle: true,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunk-[name]-[hash]',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    tsconfig: join(webDir, 'tsconfig.json'),
  });
  for (const name of readdirSync(webDir)) {
    if (name.endsWith('.html')) copyFileSync(join(webDir, name), join(stage, name));
    else if (name.endsWith('.css') || name.endsWith('.svg')) copyFileSync(join(webDir, name), join(stage, 'assets', name));
  }
  if (ifNeeded && oldestOutput() > newestMtime(webDir)) {
    rmSync(stage, { recursive: true, force: true }); // a parallel build finished first
    return `build-web: ${relative(root, outDir)} is up to date`;
  }
  const retired = `${outDir}.old-${process.pid}`;
  try {
    if (existsSync(outDir)) renameSync(outDir, retired);
    renameSync(stage, outDir);
  } catch (err) {
    // Lost a race with a parallel build that swapped its (identical) output in first: keep theirs.
    if (!existsSync(outDir)) throw err;
    rmSync(stage, { recursive: true, force: true });
  }
  rmSync(retired, { recursive: true, force: true });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  const ms = Math.round(performance.now() - started);
  const scripts = Object.keys(result.metafile.outputs).filter((p) => p.endsWith(".js")).length;
  return `build-web: built ${relative(root, outDir)} (${entryPoints.length} pages, ${scripts} scripts, ${(bytes / 1024).toFixed(0)} KiB incl. maps) in ${ms} ms`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(await buildWeb({ ifNeeded: process.argv.includes('--if-needed') }));
  } catch (err) {
    console.error(`build-web: failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
