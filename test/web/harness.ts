/**
 * Shared setup for the browser tests: builds dist/web (esbuild, tens of ms), starts the REAL
 * tickstream server on 127.0.0.1 serving that build, and launches the system Chromium through
 * playwright-core. Works from test/web (tsx) and from dist/test/web (compiled).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type TickstreamServer } from '../../src/app/server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tickstream') return dir;
    dir = dirname(dir);
  }
  throw new Error('browser tests: cannot find the tickstream package root');
}

export const REPO_ROOT = findRepoRoot();
export const WEB_ROOT = join(REPO_ROOT, 'dist', 'web');
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

let built: Promise<string> | undefined;

/** Runs scripts/build-web.mjs once per process (npm test's build compiles TypeScript only). */
export function buildWebOnce(): Promise<string> {
  built ??= (async () => {
    const script = pathToFileURL(join(REPO_ROOT, 'scripts', 'build-web.mjs')).href;
    const mod = (await import(script)) as { buildWeb(options?: { ifNeeded?: boolean }): Promise<string> };
    return mod.buildWeb({ ifNeeded: true });
  })();
  return built;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`browser tests need Chromium at ${CHROMIUM_PATH} (Debian package "chromium")`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The real server with a lively simulator, so prices visibly move within a second or two. */
export function startWebServer(port = 0): Promise<TickstreamServer> {
  return startServer({
    host: '127.0.0.1',
    port,
    logger: false,
    webRoot: WEB_ROOT,
    feed: { kind: 'simulator', ticksPerSecond: 400 },
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/**
 * The few browser globals the in-page callbacks use. The Node-side tsconfig has no DOM lib (and must
 * not get one), so callbacks cast `globalThis` to this; the cast is erased before the function is
 * serialised into the page.
 */
export interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
export interface PageGlobals {
  document: {
    querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
    getElementById(id: string): PageElement | null;
  };
  localStorage: { getItem(key: string): string | null };
  getComputedStyle(element: PageElement): { color: string };
}
