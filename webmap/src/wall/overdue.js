// The overdue panels: the ten longest overdue cases and the overdue tasks
// (任务清单: their count and the four longest overdue).
import { get } from '../lib/api.js';
import { now } from '../lib/clock.js';
import { $, fill, h } from '../lib/dom.js';
import { fmtDuration } from '../lib/format.js';
import { statusName, t } from '../lib/i18n.js';
import { STATUS_COLORS } from '../lib/theme.js';
import { fitText, counterText } from './counters.js';
import { names } from './names.js';

// longestOverdue are the n issues whose deadline passed first.
export function longestOverdue(list, n = 10) {
  return [...list].sort((a, b) => Date.parse(a.properties.deadline) - Date.parse(b.properties.deadline)).slice(0, n);
}

export function renderOverdue(list) {
  const at = now();
  const top = longestOverdue(list);
  if (!top.length) {
    fill($('#overdue'), h('li', { class: 'empty' }, t('wall.noOverdue')));
    return;
  }
  fill($('#overdue'), ...top.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { issueId: f.id } },
      h('span', { class: 'cat' }, names.cat(p.category)),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(at - Date.parse(p.deadline)) })),
      h('span', { class: 'where' },
        h('span', { class: 'chip', style: { '--c': STATUS_COLORS[p.status] } }, statusName(p.status)),
        [names.street(p.street), p.address].filter(Boolean).join(' · ')));
  }));
}

export const tasks = { total: null, features: [] }; // the overdue tasks, soonest due first

// loadTasks reads the overdue tasks: the count and the longest overdue.
export async function loadTasks() {
  const fc = await get('/api/v1/tasks', { overdue: true, limit: 4 });
  Object.assign(tasks, { total: fc.overdue, features: fc.features });
  renderTasks();
}

export function renderTasks() {
  const count = $('#count-tasks-overdue');
  count.textContent = counterText(tasks.total);
  fitText(count);
  if (!tasks.features.length) {
    fill($('#overdue-tasks'), h('li', { class: 'empty' }, t('wall.tasksNone')));
    return;
  }
  const at = now();
  fill($('#overdue-tasks'), ...tasks.features.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { taskId: f.id } },
      h('span', { class: 'cat' }, p.title),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(at - Date.parse(p.due_at)) })),
      h('span', { class: 'where' }, [names.unit(p.unit), p.owner].filter(Boolean).join(' · ')));
  }));
}
