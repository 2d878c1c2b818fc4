import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InterestUnion } from '../../src/broker/interest-union.js';

describe('InterestUnion', () => {
  test('tells the union over its sources when it changes, never a repeat', () => {
    const told: string[][] = [];
    const union = new InterestUnion((symbols) => told.push([...symbols].sort()));
    union.set('w1', ['AAPL', 'MSFT']);
    union.set('w2', ['MSFT']); // no change to the union
    union.set('w2', ['NVDA']);
    union.set('w1', ['MSFT', 'AAPL']); // the same set again
    union.delete('w1');
    union.delete('w9'); // unknown: nothing
    union.replaceAll(new Map([['e1', ['NVDA']]])); // the same union from a poll
    union.replaceAll(new Map());
    assert.deepEqual(told, [['AAPL', 'MSFT'], ['AAPL', 'MSFT', 'NVDA'], ['NVDA'], []]);
    assert.equal(union.sources, 0);
  });
});
