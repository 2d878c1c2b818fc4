import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandBudget, MAX_REFUSED_IN_A_ROW, commandCost } from '../../src/hub/command-budget.js';
import { RATE_LIMIT_REASON } from '../../src/hub/index.js';
import { FakeConnection, FakeFeed, hubOver } from './fakes.js';

describe('command budget (token bucket)', { timeout: 5_000 }, () => {
  test('a burst runs, then the rate applies; the first excess is answered, the rest dropped, a flood is closed', () => {
    const budget = new CommandBudget({ ratePerSec: 10, burst: 5 }, 0);
    for (let i = 0; i < 5; i++) assert.equal(budget.spend(1, 0), 'run');
    assert.equal(budget.spend(1, 0), 'refuse');
    for (let i = 1; i < MAX_REFUSED_IN_A_ROW; i++) assert.equal(budget.spend(1, 0), 'drop');
    assert.equal(budget.spend(1, 0), 'close');
    // 100 ms at 10/s earn one token: a client that slows down is served again.
    const patient = new CommandBudget({ ratePerSec: 10, burst: 5 }, 0);
    for (let i = 0; i < 5; i++) patient.spend(1, 0);
    assert.equal(patient.spend(1, 50), 'refuse');
    assert.equal(patient.spend(1, 150), 'run');
    assert.equal(patient.spend(1, 150), 'refuse', 'a new run of refusals is answered again');
  });

  test('big commands cost more; rate 0 is no limit', () => {
    assert.equal(commandCost(1), 2);
    assert.equal(commandCost(5000), 51);
    const off = new CommandBudget({ ratePerSec: 0, burst: 1 }, 0);
    for (let i = 0; i < 1000; i++) assert.equal(off.spend(10, 0), 'run');
  });

  test('a client flooding commands gets one rate_limited error, no reply per excess message, then close 1008', async () => {
    const feed = new FakeFeed(['AAPL', 'MSFT']);
    const hub = hubOver(feed, { appHeartbeatMs: 0, commandRatePerSec: 50, commandBurst: 100 });
    await hub.start();
    const flooder = new FakeConnection();
    const quiet = new FakeConnection();
    hub.attach(flooder, { symbols: ['AAPL'], intervalMs: 0 });
    hub.attach(quiet, { symbols: ['AAPL'], intervalMs: 0 });
    const ping = Buffer.from('{"type":"ping"}');
    for (let i = 0; i < 150; i++) flooder.emit('message', ping, true);
    const replies = flooder.messages().slice(2);
    assert.equal(replies.filter((m) => m.type === 'pong').length, 100, 'the burst is served');
    const errors = replies.filter((m) => m.type === 'error');
    assert.equal(errors.length, 1, 'one error for the whole run of excess messages');
    assert.equal(errors[0]!.code, 'rate_limited');
    assert.deepEqual(flooder.closeCalls, [], 'not closed yet');
    for (let i = 0; i < MAX_REFUSED_IN_A_ROW; i++) flooder.emit('message', Buffer.from('not json'), true);
    assert.deepEqual(flooder.closeCalls[0], { code: 1008, reason: RATE_LIMIT_REASON });
    assert.equal(flooder.messages().filter((m) => m.type === 'error').length, 1, 'bad JSON in the flood got no replies');
    // The other client is unaffected.
    quiet.emit('message', ping, true);
    assert.equal(quiet.messages().at(-1)!.type, 'pong');
    await hub.stop();
  });
});
