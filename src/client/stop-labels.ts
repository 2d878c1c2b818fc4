import type { StopCause } from './retry.js';

/** How the SDK names each stop cause at the start of a stop reason ("token refused: HTTP 401 ..."). */
export const STOP_LABELS: Readonly<Record<StopCause, string>> = {
  token_missing: 'token required',
  token_refused: 'token refused',
  token_expired: 'token expired',
  forbidden: 'forbidden',
  bad_request: 'request refused',
  not_found: 'no WebSocket endpoint at this path',
  upgrade_required: 'upgrade required',
  redirect: 'redirected',
  not_websocket: 'not a tickstream WebSocket endpoint',
  protocol_error: 'protocol error',
  unsupported_data: 'unsupported data',
  invalid_data: 'invalid data',
  message_too_big: 'message too big',
  extension_required: 'extension required',
  untrusted_certificate: 'untrusted TLS certificate',
  invalid_certificate: 'invalid TLS certificate',
  not_tls: 'not a TLS port',
};
