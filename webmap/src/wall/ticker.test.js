import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condense, dropBefore } from './ticker.js';

const events = (n) => Array.from({ length: n }, (_, i) => ({ id: n - i }));

test('condense shows every row while events come slowly', () => {
  for (const [held, recent] of [[0, 0], [3, 3], [6, 6], [6, 2]]) {
    const { shown, more } = condense(events(held), recent, 6);
    assert.equal(shown.length, held);
    assert.equal(more, null);
  }
});

test('condense gives the first row to a count of the rest in a flood', () => {
  const { shown, more } = condense(events(6), 50, 6);
  assert.deepEqual(shown.map((e) => e.id), [6, 5, 4, 3, 2]);
  assert.equal(more, 45);
});

test('dropBefore keeps the times from the cutoff on', () => {
  const times = [1, 2, 5, 8];
  dropBefore(times, 5);
  assert.deepEqual(times, [5, 8]);
  dropBefore(times, 100);
  assert.deepEqual(times, []);
});
