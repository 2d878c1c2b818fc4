import type { ExtensionOffer } from './header-values.js';
import { HandshakeError } from './http-head.js';

/** Extension token registered by RFC 7692. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What this endpoint is willing to negotiate (RFC 7692 section 7.1). */
export interface DeflateOptions {
  /** Server: always announce server_no_context_takeover; client: ask for it. Default true: our
   *  compressor never keeps context, which lets one compressed frame be shared by every client. */
  serverNoContextTakeover?: boolean;
  /** Server: require the client to drop its context (saves the per-connection inflate window);
   *  client: announce that we drop ours. Default false. */
  clientNoContextTakeover?: boolean;
  /** Cap on the server's LZ77 window, 8-15. */
  serverMaxWindowBits?: number;
  /** Cap on the client's LZ77 window, 8-15. A server with a cap below 15 declines offers that
   *  cannot be capped (no client_max_window_bits). */
  clientMaxWindowBits?: number;
  /** zlib level 0-9. Default 1: see DeflateDefaults. */
  level?: number;
  /** Messages shorter than this many bytes are sent uncompressed. Default 64. */
  threshold?: number;
}

/** The agreement both ends apply after the handshake. Window bits are 15 when not negotiated. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const DeflateDefaults = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
  /** Quote updates are ~100-200 bytes: every level gives the same output and the cost is zlib's
   *  setup. On 15 KB snapshots level 1 is ~3x faster than 6 for ~15 % more bytes. */
  level: 1,
  /** Below ~64 bytes the deflate block overhead eats the gain and the CPU is wasted. */
  threshold: 64,
} as const;

const MAX_WINDOW_BITS = 15;

/** Parameter values validated against RFC 7692 section 7; undefined = parameter absent. */
interface DeflateParamSet {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: present without a value (only legal in an offer). */
  clientMaxWindowBits: number | true | undefined;
}

/** Window-bits value: exactly "8".."15" in decimal, no sign or leading zero (RFC 7692 7.1.2.1). */
function parseWindowBits(value: string): number | null {
  if (value.length === 1) {
    return value === '8' || value === '9' ? value.charCodeAt(0) - 0x30 : null;
  }
  if (value.length === 2 && value[0] === '1') {
    const units = value.charCodeAt(1) - 0x30;
    return units >= 0 && units <= 5 ? 10 + units : null;
  }
  return null;
}

/** Validates one offer's (or response's) parameters; null when any is unknown, repeated or invalid. */
function readParams(ext: ExtensionOffer): DeflateParamSet | null {
  if (ext.duplicateParams !== undefined && ext.duplicateParams.length > 0) return null;
  const set: DeflateParamSet = {
    serverNoContextTakeover: false, clientNoContextTakeover: false,
    serverMaxWindowBits: undefined, clientMaxWindowBits: undefined,
  };
  for (const [name, value] of ext.params) {
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        set.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        set.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = value === true ? null : parseWindowBits(value);
        if (bits === null) return null;
        set.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        const bits = value === true ? true : parseWindowBits(value);
        if (bits === null) return null;
        set.clientMaxWindowBits = bits;
        break;
      }
      default:
        return null;
    }
  }
  return set;
}

function optionBits(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 8 || value > MAX_WINDOW_BITS) {
    throw new RangeError(`${name} must be an integer from 8 to 15, got ${value}`);
  }
  return value;
}

function formatExtension(params: DeflateParamSet): string {
  let header = PERMESSAGE_DEFLATE;
  if (params.serverNoContextTakeover) header += '; server_no_context_takeover';
  if (params.clientNoContextTakeover) header += '; client_no_context_takeover';
  if (params.serverMaxWindowBits !== undefined) header += `; server_max_window_bits=${params.serverMaxWindowBits}`;
  if (params.clientMaxWindowBits === true) header += '; client_max_window_bits';
  else if (params.clientMaxWindowBits !== undefined) header += `; client_max_window_bits=${params.clientMaxWindowBits}`;
  return header;
}

/**
 * Server side (RFC 7692 section 7.1): accepts the first acceptable permessage-deflate offer.
 * Offers with unknown, repeated or invalid parameters are declined and the next one is tried;
 * when none is acceptable the connection simply goes on without compression (null).
 */
export function negotiateServerDeflate(
  offers: ExtensionOffer[],
  options: DeflateOptions,
): { params: DeflateParams; header: string } | null {
  const ourServerBits = optionBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  const ourClientBits = optionBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const offered = readParams(offer);
    if (offered === null) continue;
    // Without client_max_window_bits in the offer we may not send it back (7.1.2.2), so a
    // server that must cap the client's window cannot accept this offer.
    if (offered.clientMaxWindowBits === undefined && ourClientBits !== undefined && ourClientBits < MAX_WINDOW_BITS) {
      continue;
    }
    // 7.1.1.1: the server may announce server_no_context_takeover even when not offered, and must
    // when offered. Our compressor never keeps context, so announcing it is always truthful.
    const serverNoContextTakeover =
      offered.serverNoContextTakeover || (options.serverNoContextTakeover ?? DeflateDefaults.serverNoContextTakeover);
    // 7.1.1.2: the server may always request it. Echoing the client's own promise lets us skip the
    // per-connection inflate window.
    const clientNoContextTakeover =
      offered.clientNoContextTakeover || (options.clientNoContextTakeover ?? DeflateDefaults.clientNoContextTakeover);
    // 7.1.2.1: accepted by answering with the same or a smaller value; the server may also
    // announce a smaller window on its own.
    const serverBits =
      offered.serverMaxWindowBits === undefined && ourServerBits === undefined
        ? undefined
        : Math.min(offered.serverMaxWindowBits ?? MAX_WINDOW_BITS, ourServerBits ?? MAX_WINDOW_BITS);
    // 7.1.2.2: only when offered; a bare offer lets us choose any value, a valued one a smaller one.
    let clientBits: number | undefined;
    if (offered.clientMaxWindowBits !== undefined) {
      const cap = offered.clientMaxWindowBits === true ? MAX_WINDOW_BITS : offered.clientMaxWindowBits;
      if (ourClientBits !== undefined || offered.clientMaxWindowBits !== true) {
        clientBits = Math.min(cap, ourClientBits ?? MAX_WINDOW_BITS);
      }
    }
    const answer: DeflateParamSet = {
      serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits,
    };
    return {
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits ?? MAX_WINDOW_BITS,
        clientMaxWindowBits: clientBits ?? MAX_WINDOW_BITS,
      },
      header: formatExtension(answer),
    };
  }
  return null;
}

/**
 * Client side: the Sec-WebSocket-Extensions offer. client_max_window_bits is always included
 * (bare when we have no cap) because our compressor can honour any window the server asks for.
 */
export function buildDeflateOffer(options: DeflateOptions): string {
  const clientBits = optionBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
  return formatExtension({
    serverNoContextTakeover: options.serverNoContextTakeover ?? DeflateDefaults.serverNoContextTakeover,
    clientNoContextTakeover: options.clientNoContextTakeover ?? DeflateDefaults.clientNoContextTakeover,
    serverMaxWindowBits: optionBits(options.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: clientBits ?? true,
  });
}

/**
 * Client side: checks the server's permessage-deflate response against what `options` offered
 * (RFC 7692 sections 5 and 7.1) and returns the agreement. Throws HandshakeError otherwise.
 */
export function acceptDeflateResponse(offer: ExtensionOffer, options: DeflateOptions): DeflateParams {
  if (offer.name !== PERMESSAGE_DEFLATE) throw new HandshakeError(`unexpected extension ${offer.name}`);
  const answer = readParams(offer);
  if (answer === null) throw new HandshakeError('invalid permessage-deflate parameters in response');
  if (answer.clientMaxWindowBits === true) {
    throw new HandshakeError('client_max_window_bits without a value in response');
  }
  // 7.1.1.1: a server accepts server_no_context_takeover by echoing it.
  if ((options.serverNoContextTakeover ?? DeflateDefaults.serverNoContextTakeover) && !answer.serverNoContextTakeover) {
    throw new HandshakeError('server did not accept server_no_context_takeover');
  }
  // 7.1.2.1: a server accepts server_max_window_bits by answering the same or a smaller value.
  const ourServerBits = optionBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  if (ourServerBits !== undefined && (answer.serverMaxWindowBits === undefined || answer.serverMaxWindowBits > ourServerBits)) {
    throw new HandshakeError('server_max_window_bits in response does not honour the offer');
  }
  // 7.1.2.2: the server may lower our window, never raise it above what we offered.
  const ourClientBits = optionBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
  if (answer.clientMaxWindowBits !== undefined && ourClientBits !== undefined && answer.clientMaxWindowBits > ourClientBits) {
    throw new HandshakeError('client_max_window_bits in response exceeds the offer');
  }
  return {
    serverNoContextTakeover: answer.serverNoContextTakeover,
    // We never keep context when compressing, so our own promise holds whether or not it was echoed.
    clientNoContextTakeover:
      answer.clientNoContextTakeover || (options.clientNoContextTakeover ?? DeflateDefaults.clientNoContextTakeover),
    serverMaxWindowBits: answer.serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: answer.clientMaxWindowBits ?? ourClientBits ?? MAX_WINDOW_BITS,
  };
}
