// /review — the 创建办's review desk (会审): the declarations awaiting review by
// deadline (filtered by status, unit, indicator and period), one declaration
// with every attachment shown inline (images, PDF pages drawn by PDF.js; Word
// and Excel files to download) and its history, accepted or returned with a
// comment; and the completeness of a period's declarations per unit or
// indicator (GET /api/v1/reports/declarations), with its CSV for the meeting;
// and the bulletins (通报, review/bulletins.js): preview, freeze, print, PDF.
// Kept current by the live `declarations` layer. Every value goes in as text.
import './lib/base.css';
import './review.css';
import { download, get, token } from './lib/api.js';
import { actionBox, facts, getDeclaration, history, lastReturn, lateChip, listItem, materials, reminderBadge, statusChip } from './lib/declarations.js';
import { $, debounce, fill, h, toast } from './lib/dom.js';
import { cityDate, fmtNumber, fmtPercent } from './lib/format.js';
import { apply, bindToggle, onLangChange, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { signIn, signOut } from './lib/signin.js';
import { initBulletins, loadHistory, renderBulletins } from './review/bulletins.js';

const S = { me: null, view: 'desk', list: [], selected: null, current: null, units: new Map(), indicators: new Map() };

const unitName = (code) => (S.units.get(code) || {}).name || code || '—';
const names = {
  unit: unitName,

  indicator: (d) => {
    const name = d.indicator_name || (S.indicators.get(d.indicator) || {}).name;
    return name ? `${d.indicator} ${name}` : d.indicator || '—';
  },
};

function whoami() {
  fill($('#whoami'), h('b', {}, S.me.name), t('role.' + S.me.role));
}

// loadCatalog reads the units and the declaration indicators for the filters.
async function loadCatalog() {
  const [{ units }, { indicators }] = await Promise.all([get('/api/v1/units'), get('/api/v1/indicators', { kind: 'declaration' })]);
  for (const u of units) S.units.set(u.code, u);
  const walk = (list) => {
    for (const ind of list) {
      S.indicators.set(ind.code, ind);
      walk(ind.children || []);
    }
  };
  walk(indicators);
  const keep = (sel, options) => {
    const first = sel.firstElementChild;
    fill(sel, first, options);
  };
  keep($('#f-unit'), units.map((u) => h('option', { value: u.code }, u.name)));
  keep($('#f-indicator'), [...S.indicators.values()].filter((i) => i.kind === 'declaration' && !(i.children || []).length)
    .map((i) => h('option', { value: i.code }, `${i.code} ${i.name}`)));
}

// A period is a month (2026-11) or a quarter (2026-Q4); a half-typed one
// filters nothing yet.
const PERIOD = /^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$/;

function filters() {
  const period = $('#f-period').value.trim().toUpperCase();
  $('#f-period').classList.toggle('invalid', period !== '' && !PERIOD.test(period));
  return {
    status: $('#f-status').value,
    unit: $('#f-unit').value,
    indicator: $('#f-indicator').value,
    period: PERIOD.test(period) ? period : '',
  };
}

// exportQueue saves the queue as filtered as CSV.
async function exportQueue(button) {
  button.disabled = true;
  try {
    const file = await download('/api/v1/declarations', { ...filters(), format: 'csv', limit: 2000 }, 'declarations.csv');
    toast(t('tasks.exported', { file }), 'ok');
  } catch (err) {
    toast(t('tasks.failed', { message: err.message }), 'error');
  } finally {
    button.disabled = false;
  }
}

async function loadQueue() {
  const res = await get('/api/v1/declarations', { ...filters(), limit: 500 });
  S.list = [...res.declarations].sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  $('#queue-summary').textContent = t('review.summary', { n: res.total, overdue: S.list.filter((d) => d.reminder === 'overdue').length });
  renderQueue();
}

function renderQueue() {
  if (!S.list.length) {
    fill($('#queue'), h('li', { class: 'empty' }, t('decl.none')));
    return;
  }
  fill($('#queue'), S.list.map((d) => listItem(d, { selected: S.selected, names, onSelect: select })));
}

async function select(id) {
  S.selected = id;
  for (const li of document.querySelectorAll('#queue .decl')) li.setAttribute('aria-current', String(li.dataset.declarationId === String(id)));
  const d = await getDeclaration(id);
  S.current = d;
  renderDetail(d);
}

function renderDetail(d) {
  fill($('#detail'),
    h('div', { class: 'drawer-head' }, h('h2', {}, names.indicator(d), h('span', { class: 'id' }, `#${d.id}`))),
    h('div', { class: 'chips' }, statusChip(d.status), reminderBadge(d.reminder), lateChip(d)),
    d.status === 'returned' ? lastReturn(d.events) : null,
    facts(d, names),
    actionBox(d, S.me.role, () => Promise.all([loadQueue(), select(d.id)])
      .catch((e) => toast(t('tasks.failed', { message: e.message }), 'error'))),
    h('div', { class: 'section-title' }, t('decl.materials')),
    materials(d.materials),
    h('div', { class: 'section-title' }, t('tasks.history')),
    history(d.events));
}

// --- completeness ------------------------------------------------------------------

function reportParams() {
  return { period: $('#c-period').value, date: $('#c-date').value || cityDate(), by: $('#c-by').value };
}

const COLUMNS = [
  ['owed', 'review.colOwed'], ['submitted', 'review.colSubmitted'], ['accepted', 'review.colAccepted'],
  ['returned', 'review.colReturned'], ['late', 'review.colLate'],
];

function rankChange(r) {
  const c = r.rank_change;
  if (c === null || c === undefined || c === 0) return h('span', { class: 'muted' }, c === 0 ? '—' : '');
  // a positive change: moved up the ranking (a smaller rank number)
  return h('span', { class: c > 0 ? 'up' : 'down' }, `${c > 0 ? '↑' : '↓'}${Math.abs(c)}`);
}

let cseq = 0;
async function loadCompleteness() {
  const mine = ++cseq;
  const params = reportParams();
  const res = await get('/api/v1/reports/declarations', params);
  if (mine !== cseq) return;
  const byUnit = params.by === 'unit';
  const head = h('tr', {}, h('th', {}, t('review.colRank')), h('th', {}, t(byUnit ? 'tasks.unit' : 'decl.indicator')),
    COLUMNS.map(([, key]) => h('th', { class: 'n' }, t(key))), h('th', { class: 'n' }, t('review.colRate')),
    h('th', { class: 'n' }, t('review.colChange')));
  fill($('#completeness-table thead'), head);
  const rows = res.rows || [];
  // the range's end is exclusive: name its last day
  $('#c-summary').textContent = res.from ? t('review.range', { from: cityDate(res.from), to: cityDate(Date.parse(res.to) - 1) }) : '';
  if (!rows.length) {
    $('#completeness-table').dataset.date = params.date;
    fill($('#completeness-table tbody'), h('tr', {}, h('td', { class: 'empty', colspan: 9 }, t('review.noRows'))));
    return;
  }
  $('#completeness-table').dataset.date = params.date;
  fill($('#completeness-table tbody'), rows.map((r) => {
    const key = byUnit ? r.unit : r.indicator;
    const label = byUnit ? r.unit_name || r.name || unitName(r.unit) : `${r.indicator} ${r.indicator_name || r.name || ''}`.trim();
    return h('tr', { dataset: byUnit ? { unit: key } : { indicator: key } },
      h('td', {}, h('span', { class: 'rank' }, r.rank ?? '—')),
      h('td', { class: 'name' }, label),
      COLUMNS.map(([col]) => h('td', { class: 'n', dataset: { col } }, fmtNumber(r[col]))),
      h('td', { class: 'n', dataset: { col: 'rate' } }, fmtPercent(r.completion_rate)),
      h('td', { class: 'n' }, rankChange(r)));
  }));
}

async function saveCSV(button) {
  button.disabled = true;
  try {
    const p = reportParams();
    const file = await download('/api/v1/reports/declarations', { ...p, format: 'csv' }, `declarations-${p.period}-${p.date}.csv`);
    toast(t('tasks.exported', { file }), 'ok');
  } catch (err) {
    toast(t('tasks.failed', { message: err.message }), 'error');
  } finally {
    button.disabled = false;
  }
}

function setView(view) {
  S.view = view;
  for (const b of document.querySelectorAll('.tab[data-view]')) b.setAttribute('aria-selected', String(b.dataset.view === view));
  $('#view-desk').hidden = view !== 'desk';
  $('#view-completeness').hidden = view !== 'completeness';
  $('#view-bulletins').hidden = view !== 'bulletins';
  if (view === 'bulletins') loadHistory().catch((e) => toast(t('tasks.failed', { message: e.message }), 'error'));
  if (view === 'completeness') loadCompleteness().catch((e) => toast(t('tasks.failed', { message: e.message }), 'error'));
}

// --- live --------------------------------------------------------------------------

const CONN = { live: 'conn.liveNoSeq', connecting: 'conn.connecting' };
function showConn({ state }) {
  $('#conn').dataset.state = state;
  $('#conn-text').textContent = t(CONN[state] || 'conn.reconnectingShort');
}

const refreshSoon = debounce(() => {
  loadQueue().catch((e) => console.warn('review:', e.message));
  if (S.view === 'completeness') loadCompleteness().catch(() => {});
}, 400);

function onChange(frame) {
  refreshSoon();
  const p = frame.feature && frame.feature.properties;
  if (S.current && String(frame.id) === String(S.current.id) && p && p.status !== S.current.status) select(S.current.id).catch(() => {});
}

async function main() {
  apply();
  bindToggle($('#lang'));
  $('#signout').addEventListener('click', signOut);
  S.me = await signIn({ roles: ['reviewer', 'admin'], hint: t('signin.reviewHint') });
  whoami();
  $('#c-date').value = cityDate();
  await loadCatalog();
  const requeue = debounce(() => loadQueue().catch((e) => toast(t('tasks.failed', { message: e.message }), 'error')), 250);
  for (const id of ['#f-status', '#f-unit', '#f-indicator']) $(id).addEventListener('change', requeue);
  $('#f-period').addEventListener('input', requeue);
  for (const id of ['#c-period', '#c-date', '#c-by']) $(id).addEventListener('change', () => loadCompleteness().catch(() => {}));
  $('#c-csv').addEventListener('click', (e) => saveCSV(e.currentTarget));
  $('#queue-export').addEventListener('click', (e) => exportQueue(e.currentTarget));
  initBulletins();
  for (const b of document.querySelectorAll('.tab[data-view]')) b.addEventListener('click', () => setView(b.dataset.view));
  await loadQueue();
  const live = new Live({ token: token(), subscription: { layers: ['declarations'] } });
  live.addEventListener('state', (e) => showConn(e.detail));
  live.addEventListener('change', (e) => e.detail.layer === 'declarations' && onChange(e.detail));
  live.addEventListener('reset', refreshSoon);
  live.start();
  onLangChange(() => {
    whoami();
    renderQueue();
    if (S.current) renderDetail(S.current);
    if (S.view === 'completeness') loadCompleteness().catch(() => {});
    if (S.view === 'bulletins') renderBulletins();
  });
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  console.error(err);
  document.body.dataset.ready = 'error';
});
