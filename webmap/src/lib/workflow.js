// The case flow as the server applies it (server/workflow): which actions a
// status allows, and which of them a role may take. The server decides; the UI
// only offers what would be accepted.
export const OPEN = ['reported', 'registered', 'dispatched', 'in_progress', 'resolved'];
export const STATUSES = [...OPEN, 'closed', 'rejected', 'merged'];

const FROM = {
  register: ['reported'],
  dispatch: ['registered'],
  start: ['dispatched'],
  resolve: ['in_progress'],
  verify: ['resolved'],
  reject: ['reported', 'registered'],
  merge: ['reported', 'registered'],
};
export const ACTIONS = Object.keys(FROM);

const ROLE_ACTIONS = {
  admin: ACTIONS,
  dispatcher: ACTIONS,
  grid_manager: ['start', 'resolve', 'verify'],
};

export const isOpen = (status) => OPEN.includes(status);

export function allowedFor(role, status) {
  return (ROLE_ACTIONS[role] || []).filter((a) => FROM[a].includes(status));
}
