// /wall — the command-center wall. Runs unattended for days: every collection
// it keeps is bounded, charts are reused, timers are set once, and the data (not
// the page) is reloaded periodically and after a live reset.
import './lib/base.css';
import './wall.css';
import { get, ogcCount, pages, token } from './lib/api.js';
import { chart, rem, baseOption, axisStyle } from './lib/charts.js';
import { $, fill, h } from './lib/dom.js';
import { cityDate, fmtClock, fmtDay, fmtDuration, fmtNumber, fmtTime, isoCity, startOfDay } from './lib/format.js';
import { apply, bindToggle, catName, isZh, onLangChange, statusName, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { addBaseLayers, addFrame, addGeoJSON, asPoints, bboxOf, collection, createMap, hideStyleLayers, labels, Marker, PARKING_COLOR, POINT_COLOR, setData } from './lib/map.js';
import { signIn } from './lib/signin.js';
import { ACCENT, colorOf, OVERDUE, STATUS_COLORS, statusColor } from './lib/theme.js';
import { isOpen, OPEN } from './lib/workflow.js';

const MAX_ISSUES = 20000; // open issues kept for the map and the counters
const MAX_PULSES = 40;
const PULSE_MS = 30000;
const MAX_SEEN = 100000; // ids counted today
const TICKER_MAX = 7;
const REFRESH_MS = 60000;
const SNAPSHOT_MS = 10 * 60000;
const RENDER_MS = 250;

const S = {
  map: null,
  tiled: false,
  cats: new Map(), // code → category
  units: new Map(), // code → name
  streets: new Map(), // code → name
  issues: new Map(), // id → open issue feature
  complete: false, // the snapshot holds every open issue
  counts: { new: null, closed: null, overdue: null },
  serverOverdue: [], // the overdue list when the snapshot is incomplete
  day: cityDate(),
  seenNew: new Set(),
  seenClosed: new Set(),
  catToday: new Map(),
  streetToday: new Map(),
  pulses: new Map(), // id → {marker, timer}
  ticker: [],
  parking: null, // the parking collection (plain style only), kept for live updates
  renderTimer: 0,
  updatedAt: null,
  pending: null, // changes received while the snapshot loads
  tasks: { total: null, features: [] }, // the overdue tasks, soonest due first
  leaders: new Map(), // street code → the leaders linked to it

};

let charts = {};

function startClock() {
  const tick = () => {
    $('#clock-time').textContent = fmtClock();
    $('#clock-day').textContent = fmtDay();
  };
  tick();
  setInterval(tick, 1000);
}

async function loadCatalog() {
  const [{ categories }, { units }] = await Promise.all([get('/api/v1/categories'), get('/api/v1/units')]);
  for (const c of categories) S.cats.set(c.code, c);
  for (const u of units) S.units.set(u.code, u.name);
}

function catLabel(code) {
  return catName(S.cats.get(code)) || code;
}

async function setupMap() {
  const { map, tiled } = await createMap($('#map'), { theme: 'dark', interactive: false });
  S.map = map;
  S.tiled = tiled;
  if (tiled) hideStyleLayers(map, ['issues']);
  const { areas, parking } = await addBaseLayers(map, tiled ? { fills: false, maxzoom: 11 } : {});
  S.parking = parking;
  addFrame(map, areas);
  const district = areas.features.find((f) => f.properties.level === 'district');
  const streets = areas.features.filter((f) => f.properties.level === 'street');
  for (const f of streets) S.streets.set(f.properties.code, f.properties.name);
  $('#city-name').textContent = district ? district.properties.name : '';
  const box = bboxOf(district ? [district] : areas.features);
  if (box) map.fitBounds(box, { padding: 30, duration: 0 });
  labels(map, streets, 'area-label', (f) => f.properties.name);
  addGeoJSON(map, 'live-issues', null, [
    { id: 'issue-halo', type: 'circle', filter: ['==', ['get', 'overdue'], true],
      paint: { 'circle-color': OVERDUE, 'circle-opacity': 0.25, 'circle-blur': 0.6,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 9, 14, 18] } },
    { id: 'issue-dot', type: 'circle',
      paint: { 'circle-color': statusColor, 'circle-stroke-color': '#050b16', 'circle-stroke-width': 1.2,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 4, 14, 8] } },
  ]);
}

function legend() {
  const row = (color, label, cls = '') => h('div', { class: 'row' }, h('span', { class: `sw ${cls}`, style: { '--c': color } }), label);
  fill($('#legend'),
    row(ACCENT, t('wall.legendNew'), 'ring'),
    ...['reported', 'registered', 'dispatched', 'in_progress', 'resolved'].map((s) => row(STATUS_COLORS[s], statusName(s))),
    row(OVERDUE, t('status.overdue')),
    row(POINT_COLOR, t('layer.points')),
    row(PARKING_COLOR, t('layer.parking'), 'sq'));
}

// --- the snapshot and its live updates ---------------------------------------

// loadSnapshot reads every open issue. Changes that arrive while it loads are
// applied again on top of it, since the snapshot may predate them.
async function loadSnapshot() {
  S.pending = [];
  try {
    const { features, complete } = await pages('/api/v1/issues', { status: OPEN.join(','), sort: 'deadline', limit: 1000 }, 20);
    S.issues.clear();
    for (const f of features.slice(0, MAX_ISSUES)) S.issues.set(String(f.id), f);
    S.complete = complete && features.length <= MAX_ISSUES;
    for (const c of S.pending) applyIssue(c);
  } finally {
    S.pending = null;
  }
  scheduleRender();
}

const isToday = (v) => v && Date.parse(v) >= startOfDay().getTime();

function rollDay() {
  const day = cityDate();
  if (day === S.day) return false;
  S.day = day;
  S.seenNew.clear();
  S.seenClosed.clear();
  S.catToday.clear();
  S.streetToday.clear();
  S.counts.new = 0;
  S.counts.closed = 0;
  return true;
}

function remember(set, id) {
  if (set.size >= MAX_SEEN) set.clear();
  set.add(id);
}

function bump(map, key) {
  if (key) map.set(key, (map.get(key) || 0) + 1);
}

function onIssue(change) {
  const id = String(change.id);
  const prev = S.issues.get(id);
  if (S.pending && S.pending.length < 5000) S.pending.push(change);
  if (change.op === 'delete' || !change.feature) {
    applyIssue(change);
    unpulse(id);
    scheduleRender();
    return;
  }
  const f = change.feature;
  const p = f.properties;
  if (!prev && isToday(p.created_at) && !S.seenNew.has(id)) {
    remember(S.seenNew, id);
    if (S.counts.new !== null) S.counts.new++;
    bump(S.catToday, p.category);
    bump(S.streetToday, p.street);
    flash('new');
    pulse(f);
    addTicker('new', p);
  } else if (p.status === 'closed' && isToday(p.closed_at) && !S.seenClosed.has(id)) {
    remember(S.seenClosed, id);
    if (S.counts.closed !== null) S.counts.closed++;
    flash('closed');
    addTicker('closed', p);
  } else if (prev && prev.properties.status !== p.status) {
    addTicker(p.status, p);
  }
  applyIssue(change);
  scheduleRender();
}

// applyIssue keeps the set of open issues as a change leaves it.
function applyIssue(change) {
  const id = String(change.id);
  const f = change.feature;
  if (!f) {
    S.issues.delete(id);
    return;
  }
  if (isOpen(f.properties.status)) {
    S.issues.set(id, f);
    if (S.issues.size > MAX_ISSUES) {
      S.issues.delete(S.issues.keys().next().value);
      S.complete = false;
    }
  } else {
    S.issues.delete(id);
  }
}

function onParking(change) {
  if (!S.parking || !change.feature) return;
  const i = S.parking.features.findIndex((f) => String(f.id) === String(change.id));
  if (i >= 0) S.parking.features[i] = change.feature;
  else if (S.parking.features.length < 5000) S.parking.features.push(change.feature);
  scheduleParking();
}

let parkingTimer = 0;
function scheduleParking() {
  if (parkingTimer) return;
  parkingTimer = setTimeout(() => {
    parkingTimer = 0;
    setData(S.map, 'base-parking', asPoints(S.parking));
  }, 2000);
}

// --- pulsing markers: bounded, each removed after PULSE_MS --------------------

function pulse(f) {
  const id = String(f.id);
  unpulse(id);
  const el = h('div', { class: 'pulse', dataset: { issueId: id }, style: { '--c': colorOf(f.properties) } },
    h('span', { class: 'pulse-ring' }), h('span', { class: 'pulse-ring r2' }), h('span', { class: 'pulse-core' }),
    h('span', { class: 'pulse-label', dataset: { category: f.properties.category } }, t('wall.newIssue', { cat: catLabel(f.properties.category) })));
  const marker = new Marker({ element: el }).setLngLat(f.geometry.coordinates).addTo(S.map);
  const timer = setTimeout(() => unpulse(id), PULSE_MS);
  S.pulses.set(id, { marker, timer });
  while (S.pulses.size > MAX_PULSES) unpulse(S.pulses.keys().next().value);
}

function unpulse(id) {
  const p = S.pulses.get(id);
  if (!p) return;
  clearTimeout(p.timer);
  p.marker.remove();
  S.pulses.delete(id);
}

// --- rendering (batched) ------------------------------------------------------

function scheduleRender() {
  if (S.renderTimer) return;
  S.renderTimer = setTimeout(() => {
    S.renderTimer = 0;
    render();
  }, RENDER_MS);
}

// overdue is judged now, not at the issue's last change: deadlines pass.
function markOverdue(now = Date.now()) {
  const out = [];
  for (const f of S.issues.values()) {
    const p = f.properties;
    p.overdue = isOpen(p.status) && p.deadline !== null && Date.parse(p.deadline) < now;
    out.push(f);
  }
  return out;
}

function render() {
  rollDay();
  const features = markOverdue();
  setData(S.map, 'live-issues', collection(features));
  const overdue = features.filter((f) => f.properties.overdue);
  if (S.complete) S.counts.overdue = overdue.length;
  renderCounters();
  if (S.updatedAt) $('#updated').textContent = t('wall.updated', { time: fmtClock(S.updatedAt) });
  renderOverdue(S.complete ? overdue : S.serverOverdue);
  renderCharts(features, overdue);
}

function renderCounters() {
  for (const k of ['new', 'closed', 'overdue']) {
    const el = $(`#count-${k}`);
    const v = S.counts[k] === null ? '—' : fmtNumber(S.counts[k]);
    if (el.textContent !== v) el.textContent = v;
  }
}

function flash(kind) {
  const el = $(`.counter-${kind}`);
  el.classList.remove('bump');
  void el.offsetWidth; // restart the animation
  el.classList.add('bump');
}

function renderOverdue(list) {
  const now = Date.now();
  const top = [...list].sort((a, b) => Date.parse(a.properties.deadline) - Date.parse(b.properties.deadline)).slice(0, 10);
  if (!top.length) {
    fill($('#overdue'), h('li', { class: 'empty' }, t('wall.noOverdue')));
    return;
  }
  fill($('#overdue'), ...top.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { issueId: f.id } },
      h('span', { class: 'cat' }, catLabel(p.category)),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(now - Date.parse(p.deadline)) })),
      h('span', { class: 'where' },
        h('span', { class: 'chip', style: { '--c': STATUS_COLORS[p.status] } }, statusName(p.status)),
        [S.streets.get(p.street), p.address].filter(Boolean).join(' · ')));
  }));
}

function addTicker(kind, p) {
  S.ticker.unshift({ at: new Date(), kind, category: p.category, street: p.street });
  S.ticker.length = Math.min(S.ticker.length, TICKER_MAX);
  renderTicker();
}

function renderTicker() {
  if (!S.ticker.length) {
    fill($('#ticker'), h('li', { class: 'empty muted' }, t('wall.waiting')));
    return;
  }
  fill($('#ticker'), ...S.ticker.map((e) => h('li', {},
    h('span', { class: 'time' }, fmtTime(e.at)),
    h('span', { class: 'chip', style: { '--c': e.kind === 'new' ? ACCENT : STATUS_COLORS[e.kind] } },
      e.kind === 'new' ? t('wall.eventNew') : statusName(e.kind)),
    h('span', { class: 'what' }, [catLabel(e.category), S.streets.get(e.street)].filter(Boolean).join(' · ')))));
}

// --- charts -------------------------------------------------------------------

function barOption(names, series, size) {
  return {
    ...baseOption(size),
    grid: { left: 8, right: 24, top: size * 2.2, bottom: 4, containLabel: true },
    legend: { ...baseOption(size).legend, top: 0, right: 0, textStyle: { color: '#cbd5e1', fontSize: size * 0.9 } },
    tooltip: { ...baseOption(size).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1, ...axisStyle(size) },
    yAxis: { type: 'category', inverse: true, data: names, ...axisStyle(size),
      axisLabel: { ...axisStyle(size).axisLabel, color: '#dbe7f5', fontSize: size * 0.95, width: size * (isZh() ? 7.5 : 12), overflow: 'truncate' } },
    series,
  };
}

function bar(name, data, color, size) {
  return { name, type: 'bar', data, barMaxWidth: size * 1.1, itemStyle: { color, borderRadius: [0, 3, 3, 0] },
    label: { show: true, position: 'right', color: '#e6edf7', fontSize: size * 0.85 } };
}

function renderCharts(features, overdue) {
  const size = rem();
  const openBy = new Map();
  for (const f of features) bump(openBy, f.properties.category);
  const score = (c) => (S.catToday.get(c) || 0) * 1e6 + (openBy.get(c) || 0);
  const cats = [...new Set([...S.catToday.keys(), ...openBy.keys()])].sort((a, b) => score(b) - score(a)).slice(0, 8);
  charts.category.set(barOption(cats.map(catLabel), [
    bar(t('wall.newToday'), cats.map((c) => S.catToday.get(c) || 0), ACCENT, size),
    bar(t('wall.openNow'), cats.map((c) => openBy.get(c) || 0), STATUS_COLORS.dispatched, size),
  ], size), true);
  const overdueBy = new Map();
  for (const f of overdue) bump(overdueBy, f.properties.street);
  const streets = [...S.streets.keys()].sort((a, b) =>
    (S.streetToday.get(b) || 0) - (S.streetToday.get(a) || 0) || (overdueBy.get(b) || 0) - (overdueBy.get(a) || 0));
  // the leaders linked to the street (挂钩定片), by name, on the street's line:
  // ten rows of two-line labels overlap at the wall's sizes
  const streetLabel = (c) => (S.leaders.has(c) ? `${S.streets.get(c)} · ${S.leaders.get(c).replace(/（[^）]*）/g, '')}` : S.streets.get(c));
  charts.street.set(barOption(streets.map(streetLabel), [
    bar(t('wall.newToday'), streets.map((c) => S.streetToday.get(c) || 0), ACCENT, size),
    bar(t('wall.overdueNow'), streets.map((c) => overdueBy.get(c) || 0), OVERDUE, size),
  ], size), true);
}

// --- periodic refresh from the server ---------------------------------------------

// loadTasks reads the overdue tasks: the count and the longest overdue.
async function loadTasks() {
  const fc = await get('/api/v1/tasks', { overdue: true, limit: 4 });
  S.tasks = { total: fc.overdue, features: fc.features };
  renderTasks();
}

function renderTasks() {
  $('#count-tasks-overdue').textContent = S.tasks.total === null ? '—' : fmtNumber(S.tasks.total);
  if (!S.tasks.features.length) {
    fill($('#overdue-tasks'), h('li', { class: 'empty' }, t('wall.tasksNone')));
    return;
  }
  const now = Date.now();
  fill($('#overdue-tasks'), ...S.tasks.features.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { taskId: f.id } },
      h('span', { class: 'cat' }, p.title),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(now - Date.parse(p.due_at)) })),
      h('span', { class: 'where' }, [S.units.get(p.unit) || p.unit, p.owner].filter(Boolean).join(' · ')));
  }));
}

const tasksSoon = (() => {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(safely(loadTasks), 1000);
  };
})();

async function refresh() {
  rollDay();
  const from = isoCity(startOfDay());
  const day = cityDate();
  const [n, c, o, cats, streets, overdueList] = await Promise.all([
    ogcCount('issues', { filter: `created_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: `closed_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: 'overdue = TRUE' }),
    get('/api/v1/reports/categories', { from: day, to: day }),
    get('/api/v1/reports/areas', { level: 'street', from: day, to: day }),
    S.complete ? null : get('/api/v1/issues', { overdue: true, sort: 'deadline', limit: 10 }),
  ]);
  S.counts = { new: n, closed: c, overdue: o };
  S.catToday = new Map(cats.rows.filter((r) => r.new > 0).map((r) => [r.category, r.new]));
  S.streetToday = new Map(streets.rows.map((r) => [r.code, r.new]));
  S.leaders = new Map(streets.rows.filter((r) => r.leader).map((r) => [r.code, r.leader]));
  if (overdueList) S.serverOverdue = overdueList.features;
  S.updatedAt = new Date();
  scheduleRender();
}

function safely(fn) {
  return () => fn().catch((err) => console.warn('wall:', err.message));
}

// --- connection state ---------------------------------------------------------------

function showConn(d) {
  const el = $('#conn');
  el.dataset.state = d.state;
  document.body.dataset.conn = d.state;
  let text;
  switch (d.state) {
    case 'live': text = d.seq ? t('conn.live', { seq: d.seq }) : t('conn.liveNoSeq'); break;
    case 'reconnecting': text = t('conn.reconnecting', { n: d.attempt, s: Math.max(0, Math.ceil((d.retryAt - Date.now()) / 1000)) }); break;
    case 'offline': text = t('conn.offline', { seq: d.seq, since: fmtTime(d.since) }); break;
    default: text = t('conn.connecting');
  }
  el.querySelector('.conn-text').textContent = text;
}

async function main() {
  apply();
  bindToggle($('#lang'));
  startClock();
  await signIn({ hint: t('signin.wallHint') });
  charts = { category: chart($('#chart-category')), street: chart($('#chart-street')) };
  await Promise.all([loadCatalog(), setupMap()]);
  legend();
  renderTicker();
  await Promise.all([loadSnapshot(), refresh()]);
  await safely(loadTasks)();
  const live = new Live({ token: token(), subscription: { layers: ['issues', 'parking', 'tasks'] } });
  live.addEventListener('state', (e) => showConn(e.detail));
  live.addEventListener('change', (e) => {
    if (e.detail.layer === 'issues') onIssue(e.detail);
    else if (e.detail.layer === 'tasks') tasksSoon();
    else onParking(e.detail);
  });
  live.addEventListener('reset', safely(loadSnapshot));
  live.start();
  setInterval(() => live.emitState(), 1000);
  setInterval(safely(refresh), REFRESH_MS);
  setInterval(safely(loadTasks), REFRESH_MS);
  setInterval(safely(loadSnapshot), SNAPSHOT_MS);
  setInterval(scheduleRender, 30000); // deadlines pass
  addEventListener('resize', scheduleRender);
  onLangChange(() => {
    for (const el of document.querySelectorAll('.pulse-label')) el.textContent = t('wall.newIssue', { cat: catLabel(el.dataset.category) });
    legend();
    renderTicker();
    renderTasks();
    render();
  });
  document.body.dataset.ready = 'true';
}

// A wall runs unattended: when it cannot start (the server is down, say), it
// says so and tries again.
const RETRY_START_MS = 30000;

main().catch((err) => {
  console.error(err);
  document.body.dataset.ready = 'error';
  $('#updated').textContent = t('wall.startFailed', { s: RETRY_START_MS / 1000 });
  setTimeout(() => location.reload(), RETRY_START_MS);
});
