import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelSide, Pulses } from './pulses.js';

const f = (id) => ({ id, geometry: { type: 'Point', coordinates: [0, 0] }, properties: {} });

test('at most max pulse, the oldest leaving first', () => {
  const p = new Pulses(3, 1000);
  for (const id of [1, 2, 3, 4]) p.add(f(id), 0);
  p.add(f(2), 0); // again: now the newest
  assert.deepEqual([...p.items.keys()], ['3', '4', '2']);
  assert.deepEqual([...p.values()].map((v) => v.n), [3, 4, 5]);
});

test('expire drops those past their time and marks the change', () => {
  const p = new Pulses(10, 1000);
  p.add(f(1), 0);
  p.add(f(2), 500);
  p.dirty = false;
  p.expire(1000);
  assert.equal(p.dirty, false);
  p.expire(1001);
  assert.deepEqual([...p.items.keys()], ['2']);
  assert.equal(p.dirty, true);
});

test('remove marks a change only when it held the case', () => {
  const p = new Pulses(10, 1000);
  p.add(f(1), 0);
  p.dirty = false;
  p.remove(7);
  assert.equal(p.dirty, false);
  p.remove(1);
  assert.equal(p.size, 0);
  assert.equal(p.dirty, true);
});

test('labelSide: right of the dot, left where cut or covered, none where both are', () => {
  const label = { w: 100, h: 20 };
  const area = (boxes = []) => ({ width: 1000, height: 500, boxes });
  for (const [name, p, a, want] of [
    ['room on the right', { x: 500, y: 250 }, area(), 'left'],
    ['cut by the right edge', { x: 950, y: 250 }, area(), 'right'],
    ['covered on the right', { x: 500, y: 250 }, area([{ x1: 560, y1: 200, x2: 700, y2: 300 }]), 'right'],
    ['a box above leaves room', { x: 500, y: 250 }, area([{ x1: 560, y1: 0, x2: 700, y2: 230 }]), 'left'],
    ['cut at the top', { x: 500, y: 5 }, area(), null],
    ['cut right, covered left', { x: 950, y: 250 }, area([{ x1: 800, y1: 200, x2: 900, y2: 300 }]), null],
  ]) assert.equal(labelSide(p, label, 10, a), want, name);
});
