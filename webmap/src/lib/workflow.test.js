// The case, task and declaration flows as the pages read them from the
// generated module: the lookups, and properties every table must keep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionsFor, editable } from './declarations.js';
import { DECLARATIONS, TASKS } from './flows.gen.js';
import { ACTIONS, allowedFor, CLOCK, clockOf, isOpen, OPEN, STATUSES } from './workflow.js';

const ROLES = ['admin', 'dispatcher', 'grid_manager', 'unit', 'viewer', 'planner'];
const CLOCKS = [{}, { extensionPending: true }, { suspended: true }, { suspended: true, extensionPending: true }];
const everyCase = (fn) => {
  for (const role of ROLES) for (const status of STATUSES) for (const clock of CLOCKS) fn(role, status, clock, allowedFor(role, status, clock));
};

test('the open statuses and the clock steps are of the flow', () => {
  assert.ok(OPEN.length > 0 && OPEN.every((s) => STATUSES.includes(s)));
  assert.ok(CLOCK.length > 0 && CLOCK.every((a) => ACTIONS.includes(a)));
  assert.ok(STATUSES.some((s) => !isOpen(s)));
});

test('allowedFor lists known actions in flow order', () => {
  everyCase((role, status, clock, allowed) => {
    const at = allowed.map((a) => ACTIONS.indexOf(a));
    assert.ok(at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1])), `${role} ${status} ${JSON.stringify(clock)}: ${allowed}`);
  });
});

test('a finished case allows nothing', () => {
  everyCase((role, status, clock, allowed) => {
    if (!isOpen(status)) assert.deepEqual(allowed, [], `${role} ${status}`);
  });
});

test('a suspended case allows its resumption and nothing else', () => {
  everyCase((role, status, clock, allowed) => {
    if (clock.suspended) assert.ok(allowed.every((a) => a === 'resume'), `${role} ${status}: ${allowed}`);
  });
});

test('a request is asked once at a time and answered only while pending', () => {
  everyCase((role, status, clock, allowed) => {
    if (clock.extensionPending) assert.ok(!allowed.includes('extend_request'), `${role} ${status}`);
    else assert.ok(!allowed.includes('extend_grant') && !allowed.includes('extend_refuse'), `${role} ${status}`);
  });
});

test('a role the flow does not know may do nothing', () => {
  for (const s of STATUSES) assert.deepEqual(allowedFor('nobody', s), []);
  for (const s of TASKS.statuses) assert.equal(TASKS.allowed.nobody?.[s], undefined);
  for (const s of DECLARATIONS.statuses) {
    assert.deepEqual(actionsFor('nobody', s), []);
    assert.equal(editable('nobody', s), false);
  }
});

test('the clock is read from an issue', () => {
  assert.deepEqual(clockOf({}), { suspended: false, extensionPending: false });
  assert.deepEqual(clockOf({ suspended: true, extension_requested: 3 }), { suspended: true, extensionPending: true });
  assert.deepEqual(clockOf({ extension_requested: null }), { suspended: false, extensionPending: false });
});

test('the task and declaration tables name their own statuses and actions', () => {
  for (const [flow, table] of [['tasks', TASKS], ['declarations', DECLARATIONS]]) {
    for (const [role, byStatus] of Object.entries(table.allowed)) {
      for (const [s, acts] of Object.entries(byStatus)) {
        assert.ok(table.statuses.includes(s), `${flow} ${role}: ${s}`);
        assert.ok(acts.length > 0 && acts.every((a) => table.actions.includes(a)), `${flow} ${role} ${s}: ${acts}`);
      }
    }
  }
  for (const statuses of Object.values(DECLARATIONS.editable)) assert.ok(statuses.every((s) => DECLARATIONS.statuses.includes(s)));
});
