// Colours shared by the map, the charts and the HTML: one status, one colour.
export const STATUS_COLORS = {
  reported: '#9ca3af',
  registered: '#3b82f6',
  dispatched: '#f59e0b',
  in_progress: '#f97316',
  resolved: '#14b8a6',
  closed: '#22c55e',
  rejected: '#64748b',
  merged: '#64748b',
};
export const OVERDUE = '#ef4444';
export const ACCENT = '#22d3ee';
export const TEXT = '#e6edf7';
export const MUTED = '#8aa0c2';
export const GRID_LINE = '#1f2d48';

// statusColor is a MapLibre expression: overdue issues red, the rest by status.
export const statusColor = [
  'case',
  ['==', ['get', 'overdue'], true], OVERDUE,
  ['match', ['get', 'status'], ...Object.entries(STATUS_COLORS).flat(), '#9ca3af'],
];

export function colorOf(props) {
  return props.overdue ? OVERDUE : STATUS_COLORS[props.status] || '#9ca3af';
}

// A sequential ramp for choropleths and heatmaps (dark blue → cyan → yellow → red).
export const RAMP = ['#0c2a4d', '#155e75', '#0e9f9a', '#84cc16', '#facc15', '#f97316', '#dc2626'];
