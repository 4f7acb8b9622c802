// The case flow as the server applies it (server/workflow): which actions a
// status allows, and which of them a role may take. The server decides; the UI
// only offers what would be accepted. The rules are generated from the server's
// (flows.gen.js, webmap/flowrules), never written out here.
import { ISSUES } from './flows.gen.js';

export const OPEN = ISSUES.open;
export const STATUSES = ISSUES.statuses;
export const ACTIONS = ISSUES.actions;

// CLOCK are the steps that leave the status as it is and change the deadline's course.
export const CLOCK = ISSUES.clock;

export const isOpen = (status) => OPEN.includes(status);

// clockState names a case's clock as flows.gen.js keys it.
function clockState({ suspended, extensionPending }) {
  if (suspended) return extensionPending ? 'suspended_pending' : 'suspended';
  return extensionPending ? 'pending' : 'running';
}

// allowedFor lists the actions role may take on a case in status, its clock
// as clock says ({suspended, extensionPending}; running with nothing pending
// when left out), in flow order.
export function allowedFor(role, status, clock = {}) {
  const c = { suspended: Boolean(clock.suspended), extensionPending: Boolean(clock.extensionPending) };
  return ISSUES.allowed[role]?.[status]?.[clockState(c)] ?? [];
}

// clockOf reads a case's clock from an issue's properties.
export const clockOf = (p) => ({ suspended: Boolean(p.suspended), extensionPending: p.extension_requested != null });
