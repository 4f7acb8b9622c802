import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reminders } from './declarations.js';

test('a reminder other than the last seen is a crossing', () => {
  const r = new Reminders(10);
  for (const [id, reminder, want] of [
    [1, 'due_7d', true],
    [1, 'due_7d', false], // an upload: the same reminder
    [1, 'due_3d', true],
    [1, null, false], // accepted: none any more
    [1, 'overdue', true],
    [2, null, false],
  ]) assert.equal(r.note(id, reminder), want, `${id} ${reminder}`);
});

test('reminders are bounded, the oldest forgotten first', () => {
  const r = new Reminders(2);
  r.note(1, 'due_7d');
  r.note(2, 'due_7d');
  r.note(1, 'due_3d'); // seen again: now the newest
  r.note(3, 'due_7d');
  assert.deepEqual([...r.seen.keys()], ['1', '3']);
});
