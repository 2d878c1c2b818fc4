import type { IncomingMessage, ServerResponse } from 'node:http';

/** JSON and plain bodies of the REST routes: always a length, never cached, no body for HEAD. */

export function sendJson(res: ServerResponse, status: number, body: unknown, req?: IncomingMessage): void {
  sendBody(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function sendBody(
  req: IncomingMessage | undefined,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
  });
  res.end(req?.method === 'HEAD' ? undefined : bytes);
}
