import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Today } from './today.js';

const since = Date.parse('2026-11-25T16:00:00Z'); // the city's midnight of 2026-11-26
const f = (id, p) => ({ id, properties: { status: 'reported', category: 'c1', street: 's1', ...p } });
const todayAt = '2026-11-26T02:00:00Z';
const yesterday = '2026-11-25T10:00:00Z';

test('a case new today counts once, by category and street', () => {
  const d = new Today('2026-11-26');
  d.counts.new = 10;
  assert.equal(d.count(undefined, f(1, { created_at: todayAt }), since), 'new');
  assert.equal(d.count(undefined, f(1, { created_at: todayAt }), since), null);
  assert.equal(d.counts.new, 11);
  assert.equal(d.byCategory.get('c1'), 1);
  assert.equal(d.byStreet.get('s1'), 1);
});

test('a case closed today counts once; an older one is a status change', () => {
  const d = new Today('2026-11-26');
  const held = f(2, { created_at: yesterday, status: 'resolved' });
  const closed = f(2, { created_at: yesterday, status: 'closed', closed_at: todayAt });
  assert.equal(d.count(held, closed, since), 'closed');
  assert.equal(d.count(undefined, closed, since), null); // (no longer held once closed)
  assert.equal(d.bumps.closed, 1);
  assert.equal(d.count(held, f(2, { created_at: yesterday, status: 'in_progress' }), since), 'in_progress');
  assert.equal(d.count(undefined, f(3, { created_at: yesterday }), since), null);
});

test('before the server is read the counts stay unknown', () => {
  const d = new Today('2026-11-26');
  d.count(undefined, f(1, { created_at: todayAt }), since);
  assert.equal(d.counts.new, null);
  assert.equal(d.bumps.new, 1);
});

test('roll starts a new day only when the day changes', () => {
  const d = new Today('2026-11-26');
  d.count(undefined, f(1, { created_at: todayAt }), since);
  assert.equal(d.roll('2026-11-26'), false);
  assert.equal(d.byCategory.size, 1);
  assert.equal(d.roll('2026-11-27'), true);
  assert.deepEqual([d.counts.new, d.counts.closed, d.byCategory.size, d.seenNew.size], [0, 0, 0, 0]);
});

test('settle adds what the stream counted while the server was read', () => {
  const d = new Today('2026-11-26');
  const before = d.begin();
  d.count(undefined, f(1, { created_at: todayAt }), since);
  d.settle(before, { created: 5, closed: 2, overdue: 1, byCategory: new Map(), byStreet: new Map() });
  assert.deepEqual(d.counts, { new: 6, closed: 2, overdue: 1 });
});
