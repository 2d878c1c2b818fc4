// Connection console: the reference article's client page done properly. Connect to any address
// over ws:// or wss://, send text, and log every event ("Connection opened", "Receive: …",
// "Send: …", "Connection closed (code, reason)", errors). When a connection cannot be opened, it asks
// the server over plain HTTP why (diagnose.ts), since the browser only ever says 1006.
import { diagnoseFailure } from './diagnose.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`console: #${id} missing from console.html`);
  return el as T;
}

const ui = {
  scheme: byId<HTMLSelectElement>('scheme'),
  address: byId<HTMLInputElement>('address'),
  connect: byId<HTMLButtonElement>('connect'),
  disconnect: byId<HTMLButtonElement>('disconnect'),
  message: byId<HTMLInputElement>('message'),
  send: byId<HTMLButtonElement>('send'),
  log: byId<HTMLOListElement>('log'),
  clear: byId<HTMLButtonElement>('clear'),
  follow: byId<HTMLInputElement>('follow'),
  state: byId('conn-state'),
  counters: byId('counters'),
  examples: byId('examples'),
  diagnosis: byId('diagnosis'),
};

/** The log keeps the newest entries only, so an all-symbols feed cannot grow the page without bound. */
const MAX_LOG_ENTRIES = 500;
/** Long frames (a full-market snapshot) are shortened on screen; the byte count is still shown. */
const MAX_SHOWN_CHARS = 2000;

type LogKind = 'open' | 'receive' | 'send' | 'close' | 'error' | 'info';

let ws: WebSocket | null = null;
let received = 0;
let sent = 0;

/** A small first subscription: one message a second with two quotes, so the log stays readable. */
const DEFAULT_QUERY = '/ws?symbols=AAPL,MSFT';

ui.scheme.value = location.protocol === 'https:' ? 'wss' : 'ws';
ui.address.value = `${location.host}${DEFAULT_QUERY}`;

function timestamp(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function log(kind: LogKind, text: string): void {
  const li = document.createElement('li');
  li.className = `entry ${kind}`;
  const time = document.createElement('time');
  time.textContent = timestamp();
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent =
    text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)} … (${text.length} chars)` : text;
  li.append(time, body);
  ui.log.append(li);
  while (ui.log.childElementCount > MAX_LOG_ENTRIES) ui.log.firstElementChild?.remove();
  if (ui.follow.checked) li.scrollIntoView({ block: 'end' });
}

function renderState(): void {
  const state = ws === null ? 'closed' : (['connecting', 'open', 'closing', 'closed'] as const)[ws.readyState]!;
  ui.state.textContent = state;
  ui.state.dataset['state'] = state;
  ui.connect.disabled = ws !== null;
  ui.disconnect.disabled = ws === null || ws.readyState !== WebSocket.OPEN;
  ui.send.disabled = ws === null || ws.readyState !== WebSocket.OPEN;
  ui.counters.textContent = `${received} received · ${sent} sent`;
}

function connect(): void {
  if (ws !== null) return;
  ui.diagnosis.hidden = true;
  const address = ui.address.value.trim().replace(/^wss?:\/\//, '');
  if (address === '') {
    log('error', 'Enter a server address, e.g. localhost:8765');
    return;
  }
  const url = `${ui.scheme.value}://${address}`;
  let socket: WebSocket;
  try {
    socket = new WebSocket(url);
  } catch (err) {
    log('error', `Cannot connect to ${url}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  ws = socket;
  let opened = false;
  log('info', `Connecting to ${url}`);
  socket.onopen = () => {
    opened = true;
    log('open', 'Connection opened');
    renderState();
    ui.message.focus();
  };
  socket.onmessage = (event: MessageEvent) => {
    received++;
    const data = typeof event.data === 'string' ? event.data : `<binary ${describeBinary(event.data)}>`;
    log('receive', `Receive: ${data}`);
    renderState();
  };
  socket.onerror = () => {
    // Browsers deliberately hide the cause; the close event that follows carries the code.
    log('error', opened ? 'Error: the connection was interrupted' : `Error: could not open ${url}`);
  };
  socket.onclose = (event: CloseEvent) => {
    log('close', `Connection closed (${event.code}${event.reason === '' ? '' : `, ${event.reason}`})${event.wasClean ? '' : ' — not clean'}`);
    if (ws === socket) ws = null;
    renderState();
    if (!opened) void explainFailure(url);
  };
  renderState();
}

/** The handshake failed: ask the server over HTTP what it would have answered, and say so. */
async function explainFailure(url: string): Promise<void> {
  log('info', 'Asking the server why (GET /healthz, then the same request over HTTP)…');
  const reason = await diagnoseFailure(url);
  if (ws !== null) return; // already connecting again: the answer is about an older attempt
  // The banner first: it takes room from the log, which then scrolls to its newest entry.
  ui.diagnosis.textContent = reason;
  ui.diagnosis.hidden = false;
  log('error', `Why: ${reason}`);
}

function describeBinary(data: unknown): string {
  if (data instanceof Blob) return `${data.size} bytes`;
  if (data instanceof ArrayBuffer) return `${data.byteLength} bytes`;
  return 'data';
}

function disconnect(): void {
  if (ws === null) return;
  ws.close(1000, 'closed from console');
  renderState();
}

function send(): void {
  const text = ui.message.value;
  if (ws === null || ws.readyState !== WebSocket.OPEN || text === '') return;
  ws.send(text);
  sent++;
  log('send', `Send: ${text}`);
  renderState();
}

ui.connect.addEventListener('click', connect);
ui.disconnect.addEventListener('click', disconnect);
ui.send.addEventListener('click', send);
ui.clear.addEventListener('click', () => ui.log.replaceChildren());
ui.address.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') connect();
});
ui.message.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') send();
});
ui.examples.addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-command]');
  if (button === null) return;
  ui.message.value = button.dataset['command'] ?? '';
  ui.message.focus();
});

renderState();
