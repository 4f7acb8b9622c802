import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestOverdue } from './overdue.js';

test('longestOverdue lists the deadlines passed first, at most n', () => {
  const f = (id, deadline) => ({ id, properties: { deadline } });
  const list = [f(1, '2026-11-26T10:00:00Z'), f(2, '2026-11-20T10:00:00Z'), f(3, '2026-11-25T10:00:00Z')];
  assert.deepEqual(longestOverdue(list, 2).map((x) => x.id), [2, 3]);
  assert.deepEqual(list.map((x) => x.id), [1, 2, 3]); // (left as it was)
});
