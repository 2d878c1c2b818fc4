/**
 * Serves the built web pages (dist/web) read-only: `/` → index.html, `/console` → console.html,
 * anything else → the file of that name under the root. Paths are resolved and checked to stay
 * inside the root, so `..`, encoded `%2e%2e` and NUL bytes cannot reach other files.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

/** Text assets are sent gzipped to clients that accept it (the dashboard's script: 205 KB → 67 KB). */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
/** Larger files are streamed as they are; the built pages are far below this. */
const MAX_COMPRESSED_SOURCE = 4 * 1024 * 1024;
/** Compressed bodies kept in memory (the web root holds a handful of files). */
const MAX_CACHED = 64;

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
  /** Modification time (ms): a rebuilt file is compressed again. */
  readonly mtimeMs: number;
}

export class StaticFiles {
  readonly root: string;
  /** path → gzipped body of the file as it was at mtimeMs/size. */
  private readonly gzipped = new Map<string, { mtimeMs: number; size: number; body: Promise<Buffer> }>();

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
      return { path, size: info.size, contentType: contentTypeOf(path), mtimeMs: info.mtimeMs };
    } catch {
      return undefined;
    }
  }

  /** The gzipped body of a file version, compressed on first use; undefined if it cannot be read. */
  private async gzippedBody(file: StaticFile): Promise<Buffer | undefined> {
    let entry = this.gzipped.get(file.path);
    if (entry === undefined || entry.mtimeMs !== file.mtimeMs || entry.size !== file.size) {
      if (this.gzipped.size >= MAX_CACHED) this.gzipped.delete(this.gzipped.keys().next().value as string);
      entry = { mtimeMs: file.mtimeMs, size: file.size, body: readFile(file.path).then((raw) => gzip(raw, { level: 9 })) };
      this.gzipped.set(file.path, entry);
    }
    try {
      return await entry.body;
    } catch {
      this.gzipped.delete(file.path);
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

  /**
   * Sends a file found by {@link lookup} (headers only for HEAD): gzipped when it is text and the
   * client accepts gzip (compressed once per file version and kept), else streamed as it is.
   */
  async send(req: IncomingMessage, res: ServerResponse, file: StaticFile): Promise<void> {
    const headers: Record<string, string | number> = {
      'Content-Type': file.contentType,
      // HTML must be revalidated so a rebuilt dashboard shows up; assets may be cached briefly.
      'Cache-Control': file.contentType.startsWith('text/html') ? 'no-cache' : 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    };
    const compressible = COMPRESSIBLE.test(file.contentType) && file.size <= MAX_COMPRESSED_SOURCE;
    if (compressible) headers['Vary'] = 'Accept-Encoding';
    if (compressible && acceptsGzip(req)) {
      const body = await this.gzippedBody(file);
      if (body !== undefined) {
        res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
    }
    res.writeHead(200, { ...headers, 'Content-Length': file.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file.path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}

/** `Accept-Encoding` names gzip with a non-zero quality. */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
