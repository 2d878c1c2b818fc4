/**
 * Serves the built web pages (dist/web) read-only: `/` → index.html, `/console` → console.html,
 * anything else → the file of that name under the root. Paths are resolved and checked to stay
 * inside the root, so `..`, encoded `%2e%2e` and NUL bytes cannot reach other files.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Page aliases: pretty URLs for the two HTML pages. */
const ALIASES: Readonly<Record<string, string>> = { '/': '/index.html', '/console': '/console.html' };

export interface StaticFile {
  readonly path: string;
  readonly size: number;
  readonly contentType: string;
}

export class StaticFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Finds the file a URL path names, or undefined (missing, a directory, or outside the root). */
  async lookup(urlPath: string): Promise<StaticFile | undefined> {
    const path = this.resolvePath(urlPath);
    if (path === undefined) return undefined;
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      return { path, size: info.size, contentType: contentTypeOf(path) };
    } catch {
      return undefined;
    }
  }

  /** Maps a URL path to an absolute file path inside the root, or undefined when it would escape. */
  resolvePath(urlPath: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(ALIASES[urlPath] ?? urlPath);
    } catch {
      return undefined; // malformed %-encoding
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
    const path = resolve(this.root, '.' + (decoded.startsWith('/') ? decoded : '/' + decoded));
    return path.startsWith(this.root + sep) ? path : undefined;
  }

  /** Streams a file found by {@link lookup} (headers only for HEAD). */
  send(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': file.size,
      // HTML must be revalidated so a rebuilt dashboard shows up; assets may be cached briefly.
      'Cache-Control': file.contentType.startsWith('text/html') ? 'no-cache' : 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file.path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
