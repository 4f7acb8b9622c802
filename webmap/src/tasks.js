// /tasks — a responsible unit's task list (任务清单): its tasks by due date, a
// task's detail with its history, the steps the caller may take (a unit starts,
// reports progress and submits; the 创建办 accepts or returns), evidence
// uploads, and the checklists of the task's points. A unit and its leader also
// find their declarations here (tasks/declarations.js). Every value shown goes
// in as text (h() and textContent), never as HTML.
import './lib/base.css';
import './tasks.css';
import { ApiError, download, get, post, request, token } from './lib/api.js';
import { $, fill, h, toast } from './lib/dom.js';
import { fmtDateTime, fmtDuration } from './lib/format.js';
import { apply, bindToggle, onLangChange, t } from './lib/i18n.js';
import { TASKS } from './lib/flows.gen.js';
import { Live } from './lib/live.js';
import { signIn, signOut } from './lib/signin.js';
import { UnitDeclarations } from './tasks/declarations.js';

const FILTERS = {
  todo: { status: 'open,in_progress,returned' },
  overdue: { overdue: 'true' },
  submitted: { status: 'submitted' },
  done: { status: 'done' },
};

// The steps this page offers (a task is assigned elsewhere); which of them a
// role may take in a status is the server's task flow (generated: flows.gen.js).
const OFFERED = ['start', 'progress', 'submit', 'accept', 'return'];
const stepsFor = (role, status) => (TASKS.allowed[role]?.[status] ?? []).filter((a) => OFFERED.includes(a));

const S = { me: null, mode: 'tasks', filter: 'todo', tasks: [], units: new Map(), indicators: new Map(), selected: null, docs: [], decl: null };

// Who prepares or approves declarations on this page (the 创建办 reviews them on /review).
const DECLARERS = ['unit', 'unit_leader', 'admin'];

const statusName = (s) => t('tstatus.' + s);
const actionName = (a) => t('taction.' + a);
const unitName = (code) => (S.units.get(code) || {}).name || code || '—';
const indicatorLabel = (code) => {
  const ind = S.indicators.get(code);
  return ind ? `${code} ${ind.name}` : code || '—';
};

function whoami() {
  const scope = S.me.unit ? unitName(S.me.unit) : t('role.' + S.me.role);
  fill($('#whoami'), h('b', {}, S.me.name), scope);
}

// loadCatalog reads the units and the indicator tree (flattened by code).
async function loadCatalog() {
  const [{ units }, { indicators }] = await Promise.all([get('/api/v1/units'), get('/api/v1/indicators')]);
  for (const u of units) S.units.set(u.code, u);
  const walk = (list) => {
    for (const ind of list) {
      S.indicators.set(ind.code, ind);
      walk(ind.children || []);
    }
  };
  walk(indicators);
}

async function loadList() {
  const fc = await get('/api/v1/tasks', { ...FILTERS[S.filter], limit: 500 });
  S.tasks = fc.features;
  $('#list-summary').textContent = t('tasks.summary', { n: fc.total, overdue: fc.overdue });
  renderList();
}

function renderList() {
  if (!S.tasks.length) {
    fill($('#task-list'), h('li', { class: 'empty' }, t('tasks.none')));
    return;
  }
  const now = Date.now();
  fill($('#task-list'), S.tasks.map((f) => item(f, now)));
}

function dueText(p, now) {
  if (p.status === 'done') return `${t('tasks.due')} ${fmtDateTime(p.due_at)}`;
  const ms = Date.parse(p.due_at) - now;
  return ms < 0 ? t('tasks.late', { d: fmtDuration(-ms) }) : t('tasks.left', { d: fmtDuration(ms) });
}

function item(f, now) {
  const p = f.properties;
  return h('li', { class: 'issue task', dataset: { taskId: f.id, status: p.status, overdue: String(p.overdue) },
    'aria-current': String(S.selected === f.id), onclick: () => select(f.id) },
    h('div', { class: 'issue-head' }, h('span', { class: 'issue-cat' }, p.title),
      h('span', { class: 'chip tchip', dataset: { status: p.status } }, statusName(p.status))),
    h('div', { class: 'issue-addr' }, `${indicatorLabel(p.indicator)} · ${p.owner || '—'}`),
    h('div', { class: 'issue-foot' }, h('span', { class: p.overdue ? 'late' : '' }, dueText(p, now)), h('span', {}, `#${f.id}`)));
}

async function select(id) {
  S.selected = id;
  if (S.decl) S.decl.current = null;
  S.docs = [];
  for (const li of document.querySelectorAll('#task-list .task')) li.setAttribute('aria-current', String(Number(li.dataset.taskId) === id));
  const f = await get(`/api/v1/tasks/${id}`);
  renderDetail(f);
  loadChecklists(f.properties.points || []);
}

function facts(p) {
  const ind = S.indicators.get(p.indicator);
  const rows = [
    [t('tasks.unit'), unitName(p.unit)],
    [t('tasks.owner'), [p.owner, p.owner_phone].filter(Boolean).join(' ') || '—'],
    [t('tasks.due'), fmtDateTime(p.due_at)],
    [t('tasks.indicator'), indicatorLabel(p.indicator)],
    [t('tasks.standard'), (ind && ind.standard) || '—'],
    [t('tasks.points'), (p.points || []).join('、') || (p.areas || []).join('、') || '—'],
    [t('tasks.created'), fmtDateTime(p.created_at)],
  ];
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function history(events) {
  return h('ol', { class: 'timeline' }, events.map((e) => h('li', {},
    h('div', { class: 'tl-head' }, h('b', {}, actionName(e.action)), h('span', { class: 'muted' }, fmtDateTime(e.at))),
    h('div', { class: 'muted' }, e.actor),
    e.note ? h('div', {}, e.note) : null,
    (e.documents || []).map((d) => h('button', { type: 'button', class: 'btn btn-ghost btn-small doc', onclick: () => openDocument(d) },
      `${t('tasks.file')} ${d.slice(0, 10)}`)))));
}

// openDocument fetches a document with the token and saves it as a file
// (never opened in the page's origin).
function openDocument(id) {
  download(`/api/v1/documents/${encodeURIComponent(id)}`, null, id.slice(0, 12)).catch((err) =>
    toast(t('tasks.failed', { message: err.message }), 'error'));
}

function actions(p) {
  const mine = stepsFor(S.me.role, p.status);
  if (!mine.length) return null;
  const note = h('textarea', { name: 'note', rows: 3, placeholder: t('tasks.notePlaceholder') });
  const file = h('input', { type: 'file', name: 'file', accept: '.pdf,.docx,.xlsx,image/jpeg,image/png,image/webp' });
  const files = h('ul', { class: 'docs-pending' });
  file.addEventListener('change', () => upload(file, files));
  return h('div', { class: 'task-actions' },
    h('label', { class: 'section-title' }, t('tasks.note'), note),
    h('label', { class: 'section-title' }, t('tasks.files'), file),
    files,
    h('div', { class: 'buttons' }, mine.map((a) => h('button', { type: 'button', class: a === 'return' ? 'btn btn-danger' : 'btn btn-primary',
      dataset: { action: a }, onclick: () => step(p, a, note.value) }, actionName(a)))));
}

async function upload(input, list) {
  const f = input.files[0];
  if (!f) return;
  const fd = new FormData();
  fd.append('file', f, f.name);
  try {
    const doc = await post('/api/v1/documents', fd);
    S.docs.push(doc.id);
    list.append(h('li', { dataset: { documentId: doc.id } }, doc.filename || doc.id.slice(0, 10)));
    toast(t('tasks.uploaded', { file: doc.filename || doc.id.slice(0, 10) }), 'ok');
  } catch (err) {
    toast(t('tasks.failed', { message: err.message }), 'error');
  }
  input.value = '';
}

async function step(p, action, note) {
  const body = { action, note };
  if (S.docs.length) body.documents = S.docs;
  try {
    await request(`/api/v1/tasks/${S.selected}/actions`, { method: 'POST', body, headers: { 'If-Match': `"${p.version}"` } });
    toast(t('tasks.done', { action: actionName(action) }), 'ok');
    await loadList();
    await select(S.selected);
  } catch (err) {
    const msg = err instanceof ApiError && err.status === 409 ? t('tasks.conflict', { status: statusName(err.body.error.status) }) : err.message;
    toast(t('tasks.failed', { message: msg }), 'error');
  }
}

function renderDetail(f) {
  const p = f.properties;
  fill($('#detail'),
    h('div', { class: 'drawer-head' }, h('h2', {}, p.title, h('span', { class: 'id' }, `#${f.id}`))),
    h('div', { class: 'chips' }, h('span', { class: 'chip tchip', dataset: { status: p.status } }, statusName(p.status)),
      p.overdue ? h('span', { class: 'chip chip-overdue' }, t('status.overdue')) : null),
    p.description ? h('p', {}, p.description) : null,
    facts(p),
    actions(p),
    h('div', { class: 'section-title' }, t('tasks.history')),
    history(f.events || []),
    h('div', { class: 'section-title' }, t('tasks.checklist')),
    h('div', { id: 'checklists' }, h('p', { class: 'muted' }, '…')));
}

// loadChecklists shows what an inspector checks at the task's points.
async function loadChecklists(points) {
  const box = $('#checklists');
  if (!points.length) {
    fill(box, h('p', { class: 'muted' }, t('tasks.noChecklist')));
    return;
  }
  const lists = await Promise.all(points.slice(0, 5).map((code) => get(`/api/v1/points/${encodeURIComponent(code)}/checklist`).catch(() => null)));
  fill(box, lists.filter(Boolean).map((c) => h('div', { class: 'checklist' },
    h('b', {}, `${c.name}（${c.point}）`),
    h('table', { class: 'table' }, h('tbody', {}, c.indicators.map((ind) => h('tr', {},
      h('td', {}, ind.code), h('td', {}, ind.name), h('td', { class: 'n' }, t('tasks.maxPoints', { n: ind.max_points })),
      h('td', { class: 'muted' }, ind.standard))))))));
}

// exportList saves the list as filtered as CSV (the 任务清单 to print).
async function exportList(button) {
  button.disabled = true;
  try {
    const file = await download('/api/v1/tasks', { ...FILTERS[S.filter], format: 'csv', limit: 2000 }, 'tasks.csv');
    toast(t('tasks.exported', { file }), 'ok');
  } catch (err) {
    toast(t('tasks.failed', { message: err.message }), 'error');
  } finally {
    button.disabled = false;
  }
}

function setFilter(name) {
  S.filter = name;
  for (const b of document.querySelectorAll('.seg[data-filter]')) b.setAttribute('aria-pressed', String(b.dataset.filter === name));
  loadList().catch((e) => console.warn('tasks:', e.message));
}

// setMode shows the task list or the declarations in the sidebar.
function setMode(mode) {
  S.mode = mode;
  for (const b of document.querySelectorAll('.tab[data-mode]')) b.setAttribute('aria-selected', String(b.dataset.mode === mode));
  $('#mode-tasks').hidden = mode !== 'tasks';
  $('#mode-declarations').hidden = mode !== 'declarations';
  fill($('#detail'), h('p', { class: 'empty' }, t(mode === 'tasks' ? 'tasks.pick' : 'decl.pick')));
  S.selected = null;
  if (S.decl) S.decl.current = null;
  const load = mode === 'tasks' ? loadList() : S.decl.reload();
  load.catch((e) => console.warn('tasks:', e.message));
}

const names = {
  unit: unitName,
  indicator: (d) => (d.indicator_name ? `${d.indicator} ${d.indicator_name}` : indicatorLabel(d.indicator)),
};

// startDeclarations adds the declarations tab for those who prepare or approve
// them, kept current by the live layer. A unit leader starts there.
function startDeclarations() {
  if (!DECLARERS.includes(S.me.role)) {
    $('#modes').hidden = true;
    return;
  }
  S.decl = new UnitDeclarations({ me: S.me, names, onShow: () => {
    S.selected = null;
    for (const li of document.querySelectorAll('#task-list .task')) li.setAttribute('aria-current', 'false');
  } });
  for (const b of document.querySelectorAll('.tab[data-mode]')) b.addEventListener('click', () => setMode(b.dataset.mode));
  const live = new Live({ token: token(), subscription: { layers: ['declarations'] } });
  live.addEventListener('change', (e) => {
    if (e.detail.layer === 'declarations' && S.mode === 'declarations') S.decl.onChange(e.detail);
  });
  live.addEventListener('reset', () => S.mode === 'declarations' && S.decl.reloadSoon());
  live.addEventListener('state', (e) => { document.body.dataset.live = e.detail.state; });
  live.start();
}

async function main() {
  apply();
  bindToggle($('#lang'));
  $('#signout').addEventListener('click', signOut);
  S.me = await signIn({ roles: ['unit', 'unit_leader', 'reviewer', 'admin'], hint: t('signin.tasksHint') });
  await loadCatalog();
  whoami();
  for (const b of document.querySelectorAll('.seg[data-filter]')) b.addEventListener('click', () => setFilter(b.dataset.filter));
  $('#export').addEventListener('click', (e) => exportList(e.currentTarget));
  startDeclarations();
  apply($('#modes').parentElement); // a leader's filter names
  if (S.me.role === 'unit_leader') setMode('declarations');
  else await loadList();
  onLangChange(() => {
    whoami();
    if (S.mode === 'tasks') {
      loadList().catch(() => {});
      if (S.selected) select(S.selected).catch(() => {});
    } else {
      S.decl.reload().catch(() => {});
      if (S.decl.current) S.decl.select(S.decl.current.id).catch(() => {});
    }
  });
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  console.error(err);
  document.body.dataset.ready = 'error';
});
