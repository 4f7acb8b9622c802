import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counterText, fittedSize } from './counters.js';

test('fittedSize shrinks only what overflows a laid-out box', () => {
  for (const [px, client, scroll, want] of [
    [100, 300, 300, null],
    [100, 300, 200, null],
    [100, 0, 500, null],
    [100, 300, 600, 48],
    [64, 200, 250, 49],
  ]) assert.equal(fittedSize(px, client, scroll), want, `${px}px ${scroll} in ${client}`);
});

test('counterText is a dash until a count is known', () => {
  assert.equal(counterText(null), '—');
  assert.equal(counterText(0), '0');
  assert.equal(counterText(123456), '123,456');
});
