/**
 * The client half of permessage-deflate (RFC 7692) for the conformance suite, built on node:zlib
 * streams rather than on the engine's codec: when a side keeps its LZ77 context, one zlib stream
 * lives for the whole connection and each message ends with a sync flush, exactly like
 * Autobahn's peer. The negotiated window sizes are applied for real, so a server that sends
 * back-references further than it agreed to fails to inflate here.
 */
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DeflateRaw, InflateRaw } from 'node:zlib';

const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export interface NegotiatedDeflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** 8-15; 15 when the response did not mention it. */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/**
 * Parses the server's Sec-WebSocket-Extensions answer. Returns null when deflate was declined,
 * throws when the answer is not a valid RFC 7692 response (unknown, repeated or malformed params).
 */
export function parseDeflateResponse(header: string | undefined): NegotiatedDeflate | null {
  if (header === undefined || header.trim() === '') return null;
  const extensions = header.split(',');
  if (extensions.length !== 1) throw new Error(`server accepted several extensions: ${header}`);
  const parts = extensions[0].split(';').map((p) => p.trim());
  if (parts[0] !== 'permessage-deflate') throw new Error(`unexpected extension ${parts[0]}`);
  const result: NegotiatedDeflate = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const seen = new Set<string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? null : part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (seen.has(name)) throw new Error(`repeated parameter ${name} in ${header}`);
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== null) throw new Error(`${name} takes no value: ${header}`);
        result[name === 'server_no_context_takeover' ? 'serverNoContextTakeover' : 'clientNoContextTakeover'] = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        // In a response both need a value (RFC 7692 7.1.2).
        if (value === null || !/^(8|9|1[0-5])$/.test(value)) throw new Error(`bad ${name} in response: ${header}`);
        result[name === 'server_max_window_bits' ? 'serverMaxWindowBits' : 'clientMaxWindowBits'] = Number(value);
        break;
      }
      default:
        throw new Error(`unknown parameter ${name} in ${header}`);
    }
  }
  return result;
}

/** Collects everything a zlib stream produces until a Z_SYNC_FLUSH completes. */
function flushThrough(stream: DeflateRaw | InflateRaw, input: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    const onError = (err: Error): void => {
      stream.removeListener('data', onData);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.removeListener('data', onData);
      stream.removeListener('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

export class DeflatePeer {
  private inflater: InflateRaw | null = null;
  private deflater: DeflateRaw | null = null;

  constructor(readonly params: NegotiatedDeflate) {}

  /** Decompresses one server message (its frames' payloads concatenated). */
  async inflate(compressed: Buffer): Promise<Buffer> {
    const input = Buffer.concat([compressed, SYNC_TAIL]);
    const windowBits = this.params.serverMaxWindowBits;
    // zlib resolves back-references from its output buffer as well as from its window: with a
    // large output chunk, a reference beyond the agreed window would go unnoticed. 64-byte chunks
    // (zlib's minimum) push history through the window, so a too-far reference is an error.
    const chunkSize = windowBits < 15 ? 64 : 16 * 1024;
    if (this.params.serverNoContextTakeover) {
      return inflateRawSync(input, { windowBits, chunkSize, finishFlush: constants.Z_SYNC_FLUSH });
    }
    this.inflater ??= createInflateRaw({ windowBits, chunkSize });
    return flushThrough(this.inflater, input);
  }

  /** Compresses one client message, honouring the window and context terms the server set. */
  async deflate(data: Buffer): Promise<Buffer> {
    // zlib cannot make an 8-bit raw window; never offered with a value below 9 by this suite.
    const windowBits = Math.max(9, this.params.clientMaxWindowBits);
    let out: Buffer;
    if (this.params.clientNoContextTakeover) {
      out = deflateRawSync(data, { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
    } else {
      this.deflater ??= createDeflateRaw({ windowBits });
      out = await flushThrough(this.deflater, data);
    }
    if (!out.subarray(out.length - 4).equals(SYNC_TAIL)) throw new Error('deflate output lacks the sync-flush tail');
    return out.subarray(0, out.length - 4);
  }

  dispose(): void {
    this.inflater?.destroy();
    this.deflater?.destroy();
  }
}
