/**
 * Stand-ins for Autobahn's section 12 test files (a JSON file, a bitmap, Goethe's Faust, an HTML
 * page, a PDF), generated from a seeded PRNG so nothing external is needed: each has the same kind
 * of redundancy as the original (repetitive markup, smooth image, natural-language text, a mix of
 * text and already-compressed streams), which is what exercises the deflate windows.
 */
export interface CompressionDataset {
  key: string;
  description: string;
  /** Sent as binary messages (Autobahn's 'binary' flag); text sets are sliced on code points. */
  binary: boolean;
  data: Buffer;
}

/** mulberry32: tiny deterministic PRNG, good enough to make varied test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TARGET = 256 * 1024;
const WORDS = ['Habe', 'nun', 'ach', 'Philosophie', 'Juristerei', 'und', 'Medizin', 'leider', 'auch', 'Theologie', 'durchaus',
  'studiert', 'mit', 'heißem', 'Bemühn', 'Da', 'steh', 'ich', 'armer', 'Tor', 'bin', 'so', 'klug', 'als', 'wie', 'zuvor', 'Straße',
  'Mädchen', 'Grüße', 'Töne', 'über', 'schön', 'Faust', 'Mephistopheles', 'Gretchen', 'Wagner', 'Geist', 'Natur', 'Welt'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

function json(): string {
  const rand = prng(1);
  const parts: string[] = [];
  let length = 2;
  for (let id = 0; length < TARGET; id++) {
    const record = JSON.stringify({
      id,
      symbol: pick(rand, ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA', 'SAP', 'ASML']),
      price: Math.round(rand() * 1e6) / 100,
      volume: Math.floor(rand() * 1e7),
      tags: [pick(rand, WORDS), pick(rand, WORDS)],
      note: `${pick(rand, WORDS)} ${pick(rand, WORDS)} — ${pick(rand, ['κόσμε', '日本語', 'emoji 🚀', 'plain'])}`,
      active: rand() < 0.5,
    });
    parts.push(record);
    length += Buffer.byteLength(record) + 1;
  }
  return `[${parts.join(',')}]`;
}

function bitmap(): Buffer {
  const rand = prng(2);
  const width = 512;
  const height = 512;
  const header = Buffer.alloc(54 + 1024);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(header.length + width * height, 2);
  header.writeUInt32LE(header.length, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(8, 28);
  for (let i = 0; i < 256; i++) header.writeUInt32LE(i * 0x010101, 54 + i * 4); // grey palette
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const smooth = 128 + 60 * Math.sin(x / 37) * Math.cos(y / 53) + 40 * Math.sin((x + y) / 91);
      pixels[y * width + x] = Math.max(0, Math.min(255, Math.round(smooth + (rand() - 0.5) * 12)));
    }
  }
  return Buffer.concat([header, pixels]);
}

function prose(seed: number): string {
  const rand = prng(seed);
  const lines: string[] = [];
  let length = 0;
  while (length < TARGET) {
    const words = Array.from({ length: 4 + Math.floor(rand() * 8) }, () => pick(rand, WORDS));
    const line = `${words.join(' ')}${pick(rand, ['.', ',', '!', '?', ';'])}`;
    lines.push(line);
    length += Buffer.byteLength(line) + 1;
  }
  return lines.join('\n');
}

function html(): string {
  const rand = prng(4);
  const rows: string[] = ['<!DOCTYPE html><html><head><title>Quotes</title></head><body><table class="quotes">'];
  let length = rows[0].length;
  while (length < TARGET) {
    const row = `<tr class="${pick(rand, ['up', 'down', 'flat'])}"><td class="sym">${pick(rand, ['AAPL', 'MSFT', 'SAP'])}</td>` +
      `<td class="px">${(rand() * 1000).toFixed(2)}</td><td><a href="/q/${Math.floor(rand() * 1e5)}">${pick(rand, WORDS)}</a></td></tr>\n`;
    rows.push(row);
    length += row.length;
  }
  rows.push('</table></body></html>');
  return rows.join('');
}

function pdfLike(): Buffer {
  const rand = prng(5);
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  let length = 0;
  for (let obj = 1; length < TARGET; obj++) {
    const textual = Buffer.from(`${obj} 0 obj\n<< /Type /Page /Length ${Math.floor(rand() * 9000)} /Filter /FlateDecode >>\nstream\n`);
    // Already-compressed stream content: close to incompressible.
    const stream = Buffer.alloc(500 + Math.floor(rand() * 3000));
    for (let i = 0; i < stream.length; i++) stream[i] = Math.floor(rand() * 256);
    const tail = Buffer.from(`\nendstream\nendobj\n`);
    parts.push(textual, stream, tail);
    length += textual.length + stream.length + tail.length;
  }
  return Buffer.concat(parts);
}

let cache: CompressionDataset[] | null = null;

/** Autobahn's order: 12.1 JSON, 12.2 bitmap, 12.3 Faust, 12.4 HTML, 12.5 PDF. */
export function compressionDatasets(): CompressionDataset[] {
  cache ??= [
    { key: 'json_data1', description: 'JSON records (text)', binary: false, data: Buffer.from(json()) },
    { key: 'lena512', description: '512x512 greyscale bitmap (binary)', binary: true, data: bitmap() },
    { key: 'gutenberg_faust', description: 'German prose with umlauts (binary)', binary: true, data: Buffer.from(prose(3)) },
    { key: 'html_data1', description: 'HTML table (text)', binary: false, data: Buffer.from(html()) },
    { key: 'ooms', description: 'PDF-like: markup and incompressible streams (binary)', binary: true, data: pdfLike() },
  ];
  return cache;
}

/**
 * Hands out consecutive `length`-unit slices of a dataset, wrapping around like Autobahn's
 * payload pointer. Text datasets are sliced in code points so every message is valid UTF-8.
 */
export class DatasetCursor {
  private position = 0;
  private readonly units: Buffer | string[];

  constructor(dataset: CompressionDataset) {
    this.units = dataset.binary ? dataset.data : Array.from(dataset.data.toString('utf8'));
  }

  next(length: number): Buffer {
    const units = this.units;
    const total = units.length;
    const start = this.position;
    const end = (start + length) % total;
    this.position = end;
    if (length === 0) return Buffer.alloc(0);
    if (Buffer.isBuffer(units)) {
      return end > start ? Buffer.from(units.subarray(start, end)) : Buffer.concat([units.subarray(start), units.subarray(0, end)]);
    }
    const chars = end > start ? units.slice(start, end) : [...units.slice(start), ...units.slice(0, end)];
    return Buffer.from(chars.join(''), 'utf8');
  }
}
