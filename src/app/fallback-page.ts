/**
 * The page `/` shows when the web dashboard has not been built (no dist/web/index.html):
 * it lists the endpoints and shows a live quote line, so a fresh checkout is still usable.
 */
export function fallbackIndexPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tickstream ${version}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#f2f2f2;padding:0 .3em}</style>
</head>
<body>
<h1>tickstream ${version}</h1>
<p>The web dashboard is not built yet (run <code>npm run build:web</code>). The server is running:</p>
<ul>
<li>WebSocket: <code>ws://HOST/</code> or <code>ws://HOST/ws</code>, optional <code>?symbols=AAPL,600519.SH&amp;interval=250</code></li>
<li><a href="/api/symbols"><code>GET /api/symbols</code></a> — the symbol universe</li>
<li><a href="/api/quotes"><code>GET /api/quotes[?symbols=A,B]</code></a> — latest quotes</li>
<li><a href="/healthz"><code>GET /healthz</code></a> — health</li>
<li><a href="/metrics"><code>GET /metrics</code></a> — Prometheus metrics</li>
</ul>
<p>Live: <code id="live">connecting…</code></p>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/?symbols=AAPL');
const live = document.getElementById('live');
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  const q = (m.quotes || [])[0];
  if (q) live.textContent = q.symbol + ' ' + q.last + ' (' + q.changePct + '%) seq ' + q.seq;
};
ws.onclose = () => { live.textContent = 'connection closed'; };
</script>
</body>
</html>
`;
}
