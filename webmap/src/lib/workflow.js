// The case flow as the server applies it (server/workflow): which actions a
// status allows, and which of them a role may take. The server decides; the UI
// only offers what would be accepted.
export const OPEN = ['reported', 'registered', 'dispatched', 'in_progress', 'resolved'];
export const STATUSES = [...OPEN, 'closed', 'rejected', 'merged'];

// handling are the statuses of a case before its unit reports it done: the
// clock's steps (extensions, suspensions) are taken only then.
const HANDLING = ['registered', 'dispatched', 'in_progress'];

const FROM = {
  register: ['reported'],
  dispatch: ['registered'],
  start: ['dispatched'],
  resolve: ['in_progress'],
  verify: ['resolved'],
  reject: ['reported', 'registered'],
  merge: ['reported', 'registered'],
  extend_request: HANDLING,
  extend_grant: HANDLING,
  extend_refuse: HANDLING,
  suspend: HANDLING,
  resume: HANDLING,
};
export const ACTIONS = Object.keys(FROM);

// CLOCK are the steps that leave the status as it is and change the deadline's course.
export const CLOCK = ['extend_request', 'extend_grant', 'extend_refuse', 'suspend', 'resume'];

const ROLE_ACTIONS = {
  admin: ACTIONS,
  dispatcher: ACTIONS,
  grid_manager: ['start', 'resolve', 'verify', 'extend_request'],
  unit: ['extend_request'],
};

export const isOpen = (status) => OPEN.includes(status);

// clockAllows is server/workflow's clockAllows: a suspended case waits for its
// resumption and nothing else; a request is asked once at a time and answered once.
function clockAllows(c, a) {
  if (c.suspended) return a === 'resume';
  if (a === 'resume') return false;
  if (a === 'extend_grant' || a === 'extend_refuse') return c.extensionPending;
  if (a === 'extend_request') return !c.extensionPending;
  return true;
}

// allowedFor lists the actions role may take on a case in status, its clock
// as clock says ({suspended, extensionPending}; running with nothing pending
// when left out), in flow order.
export function allowedFor(role, status, clock = {}) {
  const c = { suspended: Boolean(clock.suspended), extensionPending: Boolean(clock.extensionPending) };
  return (ROLE_ACTIONS[role] || []).filter((a) => FROM[a].includes(status) && clockAllows(c, a));
}

// clockOf reads a case's clock from an issue's properties.
export const clockOf = (p) => ({ suspended: Boolean(p.suspended), extensionPending: p.extension_requested != null });
