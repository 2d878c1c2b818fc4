#!/usr/bin/env node
// The article's claim, measured: WebSocket costs less traffic and overhead than HTTP. For the same
// market and the same freshness, bytes on the wire per quote delivered and server CPU per quote, for
// each way a client can get the stream: WebSocket JSON, WebSocket JSON with permessage-deflate,
// WebSocket binary (tickstream.bin.v1, when the server offers it), SSE, and polling /api/quotes over
// HTTP/1.1 keep-alive. Bytes are counted at the client's sockets (frame and HTTP headers included,
// both directions, the handshake too). A quote is "delivered" when a client receives a value newer
// than the one it held (a poll answer repeating unchanged quotes delivers nothing for them).
//
//   node bench/wire-efficiency.mjs [--seconds 15] [--clients 20] [--runs 3] [--only json,sse]
//
// The server runs pinned to CPU 0, the clients in this process on CPU 1. Bounded: every scenario
// runs for --seconds, then every socket and the server are closed.
import http from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { readCpuSeconds, sleep, spawnPinned } from './lib/proc.mjs';
import { freePort, waitForPort } from './lib/service.mjs';
import { summarize } from './lib/stats.mjs';

const median = (values) => summarize(values)?.median ?? NaN;

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CLI = join(ROOT, 'dist/src/app/cli.js');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const RUNS = Number(args.runs);

const SCENARIOS = [
  { name: '44 symbols, 1 s freshness', symbols: null, ticks: 200, interval: 1000, pollMs: 1000 },
  { name: '500 symbols, every tick', symbols: 500, ticks: 2000, interval: 0, pollMs: 100 },
];
const TRANSPORTS = ['json', 'json+deflate', 'binary', 'binary+deflate', 'sse', 'poll'].filter(
  (t) => args.only === undefined || args.only.split(',').includes(t),
);

let binaryDecode = null;
try {
  const wire = await import(join(ROOT, 'dist/src/wire/binary/index.js'));
  binaryDecode = wire.decodeServerMessageBinary ?? null;
} catch {
  binaryDecode = null; // the binary encoding is not built: its rows are skipped
}

/** Counts quotes newer than what this client held. */
function deliveryCounter() {
  const seqs = new Map();
  let delivered = 0;
  return {
    take(quotes) {
      for (const q of quotes) {
        const key = q.symbol;
        if ((seqs.get(key) ?? -1) < q.seq) {
          seqs.set(key, q.seq);
          delivered++;
        }
      }
    },
    get delivered() {
      return delivered;
    },
  };
}

function wsClient(port, scenario, _agent, transport) {
  const binary = transport.startsWith('binary');
  const query = `symbols=*&interval=${scenario.interval}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, binary ? ['tickstream.bin.v1'] : [], {
    perMessageDeflate: transport.endsWith('+deflate') ? { threshold: 0 } : false,
  });
  const counter = deliveryCounter();
  let socket = null;
  ws.on('upgrade', (res) => (socket = res.socket));
  ws.on('message', (data, isBinary) => {
    const message = isBinary ? binaryDecode(new Uint8Array(data)) : JSON.parse(data.toString());
    if (message.type === 'quotes' || message.type === 'snapshot') counter.take(message.quotes);
  });
  ws.on('error', () => {});
  return {
    counter,
    bytes: () => (socket === null ? 0 : socket.bytesRead + socket.bytesWritten),
    close: () => ws.terminate(),
    /** False when a binary client was not given the binary subprotocol (a server without it). */
    ok: () => !binary || ws.protocol === 'tickstream.bin.v1',
  };
}

function sseClient(port, scenario, agent) {
  const counter = deliveryCounter();
  let socket = null;
  let buffer = '';
  const req = http.get({ host: '127.0.0.1', port, path: `/sse?symbols=*&interval=${scenario.interval}`, agent, headers: { accept: 'text/event-stream' } }, (res) => {
    socket = res.socket;
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data === undefined || block.includes('event: ')) continue;
        const message = JSON.parse(data.slice(6));
        if (message.type === 'quotes' || message.type === 'snapshot') counter.take(message.quotes);
      }
    });
  });
  req.on('error', () => {});
  return { counter, bytes: () => (socket === null ? 0 : socket.bytesRead + socket.bytesWritten), close: () => req.destroy() };
}

function pollClient(port, scenario) {
  // Its own keep-alive connection: a shared agent would let clients count each other's sockets.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const counter = deliveryCounter();
  const sockets = new Set();
  let stopped = false;
  let timer = null;
  const poll = () => {
    if (stopped) return;
    const started = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/api/quotes', agent }, (res) => {
      sockets.add(res.socket);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        counter.take(JSON.parse(body).quotes);
        timer = setTimeout(poll, Math.max(0, scenario.pollMs - (Date.now() - started)));
      });
    });
    req.on('error', () => {});
  };
  poll();
  return {
    counter,
    bytes: () => [...sockets].reduce((n, s) => n + s.bytesRead + s.bytesWritten, 0),
    close: () => {
      stopped = true;
      clearTimeout(timer);
      agent.destroy();
    },
  };
}

async function measure(scenario, transport) {
  const port = await freePort();
  const flags = ['serve', '--host', '127.0.0.1', '--port', String(port), '--seed', '1', '--log-level', 'warn', '--log-format', 'json',
    '--ticks-per-second', String(scenario.ticks), '--command-rate', '0', '--heartbeat', '0'];
  if (scenario.symbols !== null) flags.push('--symbols', String(scenario.symbols));
  if (transport.endsWith('+deflate')) flags.push('--deflate');
  const server = spawnPinned(0, process.execPath, [CLI, ...flags]);
  try {
    await waitForPort(port, server, 15_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });
    const make = transport === 'sse' ? sseClient : transport === 'poll' ? pollClient : wsClient;
    const clients = Array.from({ length: CLIENTS }, () => make(port, scenario, agent, transport));
    await sleep(1000); // connected, first snapshot in: measure from here
    if (clients.some((c) => c.ok !== undefined && !c.ok())) {
      for (const c of clients) c.close();
      agent.destroy();
      return null; // this server does not speak the transport
    }
    const bytes0 = clients.reduce((n, c) => n + c.bytes(), 0);
    const quotes0 = clients.reduce((n, c) => n + c.counter.delivered, 0);
    const cpu0 = readCpuSeconds(server.child.pid);
    await sleep(SECONDS * 1000);
    const cpu = readCpuSeconds(server.child.pid) - cpu0;
    const bytes = clients.reduce((n, c) => n + c.bytes(), 0) - bytes0;
    const quotes = clients.reduce((n, c) => n + c.counter.delivered, 0) - quotes0;
    for (const c of clients) c.close();
    agent.destroy();
    return { bytesPerQuote: bytes / quotes, cpuUsPerQuote: (cpu * 1e6) / quotes, quotesPerSec: quotes / SECONDS };
  } finally {
    server.child.kill('SIGKILL');
  }
}

const results = [];
for (const scenario of SCENARIOS) {
  for (const transport of TRANSPORTS) {
    if (transport.startsWith('binary') && binaryDecode === null) continue;
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      const run = await measure(scenario, transport);
      if (run !== null) runs.push(run);
    }
    if (runs.length === 0) {
      process.stderr.write(`${scenario.name} · ${transport}: not offered by this server, skipped\n`);
      continue;
    }
    const row = {
      scenario: scenario.name,
      transport,
      bytesPerQuote: median(runs.map((x) => x.bytesPerQuote)),
      cpuUsPerQuote: median(runs.map((x) => x.cpuUsPerQuote)),
      quotesPerSec: median(runs.map((x) => x.quotesPerSec)),
    };
    results.push(row);
    process.stderr.write(`${scenario.name} · ${transport}: ${row.bytesPerQuote.toFixed(1)} B/quote, ${row.cpuUsPerQuote.toFixed(2)} µs CPU/quote, ${Math.round(row.quotesPerSec)} quotes/s\n`);
  }
}

console.log(`\nWire efficiency (${CLIENTS} clients, ${SECONDS} s, median of ${RUNS} runs; server pinned to CPU 0, clients on CPU 1)\n`);
for (const scenario of SCENARIOS) {
  const rows = results.filter((r) => r.scenario === scenario.name);
  const json = rows.find((r) => r.transport === 'json');
  console.log(`### ${scenario.name} (polling every ${scenario.pollMs} ms)\n`);
  console.log('| transport | bytes / quote | vs JSON | server CPU µs / quote | vs JSON | quotes delivered / s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = (a, b) => (b === undefined ? '' : (a / b).toFixed(2) + '×');
    console.log(`| ${r.transport} | ${r.bytesPerQuote.toFixed(1)} | ${ratio(r.bytesPerQuote, json?.bytesPerQuote)} | ${r.cpuUsPerQuote.toFixed(2)} | ${ratio(r.cpuUsPerQuote, json?.cpuUsPerQuote)} | ${Math.round(r.quotesPerSec).toLocaleString('en-US')} |`);
  }
  console.log('');
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const out = join(ROOT, 'bench/results', `wire-efficiency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ clients: CLIENTS, seconds: SECONDS, runs: RUNS, results }, null, 2));
console.log(`result written to ${out}`);
process.exit(0);
