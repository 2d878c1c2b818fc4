// The retry table of `tickstream watch`: which failures are retried, which stop it, and with what advice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cleanText,
  describeFailure,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  reasonFromBody,
  retryDecision,
  type WatchFailure,
} from '../../src/app/watch-retry.js';

const NOW = Date.parse('2025-01-02T03:04:05Z');
const NO_TOKEN = { tokenGiven: false, now: NOW };

describe('retryDecision', { timeout: 20_000 }, () => {
  const table: Array<[string, WatchFailure, boolean, RegExp?]> = [
    // HTTP answers to the upgrade
    ['401 without a token', { kind: 'http', status: 401, statusText: 'Unauthorized', reason: 'missing token' }, false, /TICKSTREAM_AUTH_TOKEN.*--token/],
    ['403', { kind: 'http', status: 403, statusText: 'Forbidden', reason: 'origin x is not allowed' }, false, /origin or entitlement/],
    ['400', { kind: 'http', status: 400 }, false, /symbols and --interval/],
    ['404', { kind: 'http', status: 404 }, false, /path/],
    ['426', { kind: 'http', status: 426 }, false, /ws:\/\/ or wss:\/\//],
    ['405 (other 4xx)', { kind: 'http', status: 405 }, false, /check the URL/],
    ['200 (not a WebSocket endpoint)', { kind: 'http', status: 200 }, false, /not a WebSocket endpoint/],
    ['302 with Location', { kind: 'http', status: 302, location: 'wss://other.example/ws' }, false, /redirects to wss:\/\/other\.example\/ws/],
    ['408', { kind: 'http', status: 408 }, true],
    ['429', { kind: 'http', status: 429 }, true],
    ['500', { kind: 'http', status: 500 }, true],
    ['502', { kind: 'http', status: 502 }, true],
    ['503', { kind: 'http', status: 503 }, true],
    // close codes
    ['close 1000', { kind: 'close', code: 1000, reason: '' }, true],
    ['close 1001', { kind: 'close', code: 1001, reason: 'server shutting down' }, true],
    ['close 1005', { kind: 'close', code: 1005, reason: '' }, true],
    ['close 1006', { kind: 'close', code: 1006, reason: '' }, true],
    ['close 1008 slow consumer', { kind: 'close', code: 1008, reason: 'slow consumer' }, true],
    ['close 1008 rate limited', { kind: 'close', code: 1008, reason: 'command rate limit exceeded' }, true],
    ['close 1011', { kind: 'close', code: 1011, reason: '' }, true],
    ['close 1012', { kind: 'close', code: 1012, reason: '' }, true],
    ['close 1013', { kind: 'close', code: 1013, reason: '' }, true],
    ['close 1014', { kind: 'close', code: 1014, reason: '' }, true],
    ['close 4000 (unknown application code)', { kind: 'close', code: 4000, reason: '' }, true],
    ['close 1002', { kind: 'close', code: 1002, reason: 'protocol error' }, false, /report/],
    ['close 1003', { kind: 'close', code: 1003, reason: '' }, false, /report/],
    ['close 1007', { kind: 'close', code: 1007, reason: '' }, false, /report/],
    ['close 1009', { kind: 'close', code: 1009, reason: '' }, false, /fewer symbols/],
    ['close 1010', { kind: 'close', code: 1010, reason: '' }, false, /extension/],
    ['close 3000', { kind: 'close', code: 3000, reason: '' }, false, /--token/],
    ['close 3003', { kind: 'close', code: 3003, reason: '' }, false, /not allowed/],
    ['close 4001 token expired', { kind: 'close', code: 4001, reason: 'token expired' }, false, /get a new token/],
    ['close 4003 forbidden', { kind: 'close', code: 4003, reason: 'forbidden' }, false, /not allowed/],
    // no HTTP answer
    ['connection refused', { kind: 'network', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' }, true],
    ['reset', { kind: 'network', message: 'read ECONNRESET', code: 'ECONNRESET' }, true],
    ['handshake timeout', { kind: 'network', message: 'WebSocket handshake with h timed out after 5000 ms' }, true],
    ['DNS', { kind: 'network', message: 'getaddrinfo ENOTFOUND nope', code: 'ENOTFOUND' }, true],
    ['self-signed certificate', { kind: 'network', message: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, false, /--ca FILE/],
    ['unknown issuer', { kind: 'network', message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, false, /--ca FILE/],
    ['self-signed CA in chain', { kind: 'network', message: 'self-signed certificate in certificate chain', code: 'SELF_SIGNED_CERT_IN_CHAIN' }, false, /--ca FILE/],
    ['wrong host name', { kind: 'network', message: "Hostname/IP does not match certificate's altnames", code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, false, /host name/],
    ['expired certificate', { kind: 'network', message: 'certificate has expired', code: 'CERT_HAS_EXPIRED' }, false, /renewed/],
    ['wss:// to a plain port', { kind: 'network', message: 'wrong version number', code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, false, /ws:\/\//],
  ];
  for (const [name, failure, retry, advice] of table) {
    test(`${name} → ${retry ? 'retry' : 'stop'}`, () => {
      const decision = retryDecision(failure, NO_TOKEN);
      assert.equal(decision.retry, retry);
      if (!decision.retry) {
        assert.ok(advice, 'a stop case names its advice');
        assert.match(decision.advice, advice);
      }
    });
  }

  test('a 401 with a token says the token was not accepted', () => {
    const decision = retryDecision({ kind: 'http', status: 401, reason: 'invalid token' }, { tokenGiven: true, now: NOW });
    assert.equal(decision.retry, false);
    assert.match(!decision.retry ? decision.advice : '', /token was not accepted/);
    const expired = retryDecision({ kind: 'http', status: 401, reason: 'token has expired' }, { tokenGiven: true, now: NOW });
    assert.match(!expired.retry ? expired.advice : '', /get a new token/);
  });

  test('429 and 503 carry the Retry-After delay, bounded; without it the backoff applies', () => {
    assert.deepEqual(retryDecision({ kind: 'http', status: 503, statusText: 'Service Unavailable', retryAfter: '5' }, NO_TOKEN), {
      retry: true,
      what: 'HTTP 503 Service Unavailable',
      delayMs: 5_000,
    });
    assert.equal((retryDecision({ kind: 'http', status: 429, retryAfter: '3600' }, NO_TOKEN) as { delayMs?: number }).delayMs, MAX_RETRY_AFTER_MS);
    assert.equal('delayMs' in retryDecision({ kind: 'http', status: 503 }, NO_TOKEN), false);
    assert.equal('delayMs' in retryDecision({ kind: 'http', status: 503, retryAfter: 'soon' }, NO_TOKEN), false);
  });

  test('what names the failure with the server reason', () => {
    assert.equal(describeFailure({ kind: 'http', status: 401, statusText: 'Unauthorized', reason: 'missing token' }), 'HTTP 401 Unauthorized: missing token');
    assert.equal(describeFailure({ kind: 'close', code: 1001, reason: 'server shutting down' }), 'closed 1001 server shutting down');
    assert.equal(describeFailure({ kind: 'close', code: 1006, reason: '' }), 'closed 1006');
    assert.equal(retryDecision({ kind: 'close', code: 4001, reason: 'token expired' }, NO_TOKEN).what, 'closed 4001 token expired');
  });
});

describe('parseRetryAfter', { timeout: 20_000 }, () => {
  test('delay-seconds, HTTP-date, bounds and junk', () => {
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter('1', NOW), 1_000);
    assert.equal(parseRetryAfter(' 30 ', NOW), 30_000);
    assert.equal(parseRetryAfter('61', NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('0', NOW), undefined);
    assert.equal(parseRetryAfter('-5', NOW), undefined);
    assert.equal(parseRetryAfter('1.5', NOW), undefined);
    assert.equal(parseRetryAfter('later', NOW), undefined);
    assert.equal(parseRetryAfter(new Date(NOW + 10_000).toUTCString(), NOW), 10_000);
    assert.equal(parseRetryAfter(new Date(NOW + 3_600_000).toUTCString(), NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter(new Date(NOW - 10_000).toUTCString(), NOW), undefined);
  });
});

describe('reasonFromBody and cleanText', { timeout: 20_000 }, () => {
  test('first line of a plain-text body, control characters removed, HTML ignored', () => {
    assert.equal(reasonFromBody('missing token', 'text/plain; charset=utf-8'), 'missing token');
    assert.equal(reasonFromBody('\n\n  too many connections \r\nmore', undefined), 'too many connections');
    assert.equal(reasonFromBody('', 'text/plain'), undefined);
    assert.equal(reasonFromBody('<html><body>502</body></html>', 'text/html'), undefined);
    assert.equal(reasonFromBody('bad\x1b[2Jthing\x07', 'text/plain'), 'bad [2Jthing');
    assert.equal(cleanText('x'.repeat(300)).length, 200);
    assert.equal(cleanText('a\u009bb\tc'), 'a b c');
  });
});
