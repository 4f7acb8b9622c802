import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenIssues } from './snapshot.js';

const issue = (id, status = 'dispatched', deadline = '2026-11-26T12:00:00Z') => ({ id, properties: { status, deadline } });
const change = (f, id = f.id) => ({ id, op: 'update', feature: f });

test('apply keeps the open issues and drops the finished and the deleted', () => {
  const o = new OpenIssues(10);
  o.apply(change(issue(1)));
  o.apply(change(issue(2)));
  o.apply(change(issue(1, 'closed')));
  o.apply({ id: 2, op: 'delete' });
  o.apply(change(issue(3, 'resolved')));
  assert.deepEqual([...o.issues.keys()], ['3']);
});

test('past the bound the oldest goes and the set is no longer complete', () => {
  const o = new OpenIssues(2);
  o.complete = true;
  for (const id of [1, 2, 3]) o.apply(change(issue(id)));
  assert.deepEqual([...o.issues.keys()], ['2', '3']);
  assert.equal(o.complete, false);
});

test('load replaces the set and applies again what came meanwhile', async () => {
  const o = new OpenIssues(10);
  o.apply(change(issue(9)));
  o.record(change(issue(5))); // no load under way: not kept
  await o.load(async () => {
    o.record(change(issue(1, 'closed')));
    o.record(change(issue(4)));
    return { features: [issue(1), issue(2)], complete: true };
  });
  assert.deepEqual([...o.issues.keys()].sort(), ['2', '4']);
  assert.equal(o.complete, true);
  assert.equal(o.pending, null);
});

test('a snapshot larger than the bound is cut and incomplete', async () => {
  const o = new OpenIssues(2);
  await o.load(async () => ({ features: [issue(1), issue(2), issue(3)], complete: true }));
  assert.equal(o.issues.size, 2);
  assert.equal(o.complete, false);
});

test('a failed load keeps no pending changes', async () => {
  const o = new OpenIssues(2);
  await assert.rejects(o.load(async () => {
    throw new Error('down');
  }));
  assert.equal(o.pending, null);
});

test('markOverdue judges deadlines at the instant given', () => {
  const o = new OpenIssues(10);
  o.apply(change(issue(1, 'dispatched', '2026-11-26T12:00:00Z')));
  o.apply(change(issue(2, 'dispatched', null)));
  const overdue = (at) => o.markOverdue(Date.parse(at)).filter((f) => f.properties.overdue).map((f) => f.id);
  assert.deepEqual(overdue('2026-11-26T11:59:59Z'), []);
  assert.deepEqual(overdue('2026-11-26T12:00:01Z'), [1]);
});
