// /grid — the grid manager's workspace: their grids on the map, their cases as
// a list by deadline, the case drawer with the workflow, reporting a new issue
// on the map, and nearby parking. Kept current by /live.
import './lib/base.css';
import './grid.css';
import { get, ogcItems, token } from './lib/api.js';
import { $, debounce, fill, h } from './lib/dom.js';
import { fmtDateTime, fmtDuration } from './lib/format.js';
import { apply, bindToggle, catName, onLangChange, statusName, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { addBaseLayers, addFrame, addGeoJSON, bboxOf, collection, createMap, hideStyleLayers, labels, setData } from './lib/map.js';
import { signIn, signOut } from './lib/signin.js';
import { OVERDUE, STATUS_COLORS, statusColor } from './lib/theme.js';
import { isOpen, OPEN } from './lib/workflow.js';
import { createDetail } from './grid/detail.js';
import { createParking } from './grid/parking.js';
import { createReporter } from './grid/report.js';

const FILTERS = {
  open: { status: OPEN.join(','), sort: 'deadline', limit: 300 },
  overdue: { overdue: true, sort: 'deadline', limit: 300 },
  closed: { status: 'closed', sort: '-created_at', limit: 100 },
};

const matches = {
  open: (p) => isOpen(p.status),
  overdue: (p) => isOpen(p.status) && !p.suspended && Date.parse(p.deadline) < Date.now(),
  closed: (p) => p.status === 'closed',
};

const S = {
  me: null,
  map: null,
  cats: new Map(),
  units: new Map(),
  areas: new Map(), // code → name, for the grids and areas shown
  filter: 'open',
  issues: new Map(), // id → feature, the current list
  selected: null,
  loadSeq: 0,
};

let detail;

const catLabel = (code) => catName(S.cats.get(code)) || code || '—';

function whoami() {
  const areas = S.me.areas.length ? S.me.areas.map((c) => S.areas.get(c) || c).join('、') : t('grid.wholeCity');
  fill($('#whoami'), h('b', {}, S.me.name), `${t('role.' + S.me.role)} · ${areas}`);
}

async function loadCatalog() {
  const [{ categories }, { units }] = await Promise.all([get('/api/v1/categories'), get('/api/v1/units')]);
  for (const c of categories) S.cats.set(c.code, c);
  for (const u of units) S.units.set(u.code, u);
}

async function setupMap() {
  const { map, tiled } = await createMap($('#map'), { theme: 'dark' });
  S.map = map;
  const [areas] = await Promise.all([
    ogcItems('areas'),
    tiled ? hideStyleLayers(map, ['issues']) : addBaseLayers(map, { points: true, parking: false }),
  ]);
  for (const f of areas.features) S.areas.set(f.properties.code, f.properties.name);
  addFrame(map, areas);
  // the grids the token covers (the OGC grids are scoped to it)
  const grids = await ogcItems('grids');
  for (const f of grids.features) S.areas.set(f.properties.code, f.properties.name);
  addGeoJSON(map, 'my-grids', grids, [
    { id: 'my-grid-fill', type: 'fill', paint: { 'fill-color': '#22d3ee', 'fill-opacity': 0.06 } },
    { id: 'my-grid-line', type: 'line', paint: { 'line-color': '#22d3ee', 'line-width': 1.6, 'line-opacity': 0.85 } },
  ]);
  if (grids.features.length <= 80) {
    labels(map, grids.features, 'grid-label', (f) => f.properties.name.replace(/^.*社区/, '') || f.properties.code);
  }
  const box = bboxOf(grids.features);
  if (box) map.fitBounds(box, { padding: 40, duration: 0 });
  addGeoJSON(map, 'live-issues', null, [
    { id: 'issue-halo', type: 'circle', filter: ['==', ['get', 'overdue'], true],
      paint: { 'circle-color': OVERDUE, 'circle-opacity': 0.3, 'circle-blur': 0.5, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 8, 16, 18] } },
    { id: 'issue-selected', type: 'circle', filter: ['==', ['id'], -1],
      paint: { 'circle-color': 'transparent', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 10, 16, 18] } },
    { id: 'issue-dot', type: 'circle',
      paint: { 'circle-color': statusColor, 'circle-stroke-color': '#050b16', 'circle-stroke-width': 1.5, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 5, 16, 10] } },
  ]);
  map.on('click', 'issue-dot', (e) => e.features.length && select(String(e.features[0].id)));
  map.on('mouseenter', 'issue-dot', () => (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'issue-dot', () => (map.getCanvas().style.cursor = ''));
}

// --- the list -------------------------------------------------------------------------

async function loadList() {
  const mine = ++S.loadSeq;
  const fc = await get('/api/v1/issues', FILTERS[S.filter]);
  if (mine !== S.loadSeq) return;
  S.issues = new Map(fc.features.map((f) => [String(f.id), f]));
  S.more = Boolean(fc.next);
  render();
}

function sorted() {
  const list = [...S.issues.values()];
  if (S.filter === 'closed') return list.sort((a, b) => Date.parse(b.properties.created_at) - Date.parse(a.properties.created_at));
  return list.sort((a, b) => Date.parse(a.properties.deadline) - Date.parse(b.properties.deadline));
}

function render() {
  const now = Date.now();
  for (const f of S.issues.values()) {
    const p = f.properties;
    p.overdue = isOpen(p.status) && !p.suspended && Date.parse(p.deadline) < now; // a suspended case's clock stands
  }
  const list = sorted();
  setData(S.map, 'live-issues', collection(list));
  const overdue = list.filter((f) => f.properties.overdue).length;
  $('#list-summary').textContent = t('grid.summary', { n: list.length, overdue }) + (S.more ? t('grid.more') : '');
  if (!list.length) {
    fill($('#issue-list'), h('li', { class: 'empty' }, t('grid.noIssues')));
    return;
  }
  fill($('#issue-list'), list.map((f) => item(f, now)));
}

function item(f, now) {
  const p = f.properties;
  const color = p.overdue ? OVERDUE : STATUS_COLORS[p.status];
  const ms = Date.parse(p.deadline) - now;
  let due = fmtDateTime(p.deadline);
  let cls = '';
  if (isOpen(p.status) && p.suspended) {
    due = t('grid.badgeSuspended');
    cls = 'paused';
  } else if (isOpen(p.status)) {
    due = ms < 0 ? t('grid.late', { d: fmtDuration(-ms) }) : t('grid.left', { d: fmtDuration(ms) });
    cls = ms < 0 ? 'late' : ms < 4 * 3600e3 ? 'left' : '';
  }
  return h('li', { class: 'issue', dataset: { issueId: f.id }, style: { '--c': color },
    'aria-current': String(S.selected === String(f.id)), onclick: () => select(String(f.id)) },
    h('div', { class: 'issue-head' }, h('span', { class: 'issue-cat' }, catLabel(p.category)),
      h('span', { class: 'chip', dataset: { status: p.status }, style: { '--c': STATUS_COLORS[p.status] } }, statusName(p.status))),
    h('div', { class: 'issue-addr' }, p.address || p.description || '—'),
    h('div', { class: 'issue-foot' }, h('span', { class: cls }, due), h('span', {}, `#${f.id}`)));
}

const renderSoon = debounce(render, 200);

function select(id) {
  detail.open(id).then(() => {
    const f = S.issues.get(id);
    const drawer = $('#drawer');
    if (f) S.map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(S.map.getZoom(), 15), offset: [-drawer.offsetWidth / 2, 0] });
  }).catch((e) => console.warn('grid:', e.message));
}

function onShown(id) {
  S.selected = id;
  S.map.setFilter('issue-selected', ['==', ['id'], id ? Number(id) : -1]);
  for (const li of document.querySelectorAll('#issue-list .issue')) li.setAttribute('aria-current', String(li.dataset.issueId === id));
}

// onIssue takes an issue as it now is (from an action, a report or /live).
function onIssue(f) {
  const id = String(f.id);
  if (matches[S.filter](f.properties)) S.issues.set(id, f);
  else S.issues.delete(id);
  renderSoon();
}

function setFilter(name) {
  S.filter = name;
  for (const b of document.querySelectorAll('.seg')) b.setAttribute('aria-pressed', String(b.dataset.filter === name));
  loadList().catch((e) => console.warn('grid:', e.message));
}

function setupTabs(parking) {
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => {
      for (const x of document.querySelectorAll('.tab')) x.setAttribute('aria-selected', String(x === tab));
      $('#tab-issues').hidden = tab.dataset.tab !== 'issues';
      $('#tab-parking').hidden = tab.dataset.tab !== 'parking';
      parking.show(tab.dataset.tab === 'parking');
    });
  }
  for (const b of document.querySelectorAll('.seg')) b.addEventListener('click', () => setFilter(b.dataset.filter));
}

function showConn(d) {
  const el = $('#conn');
  el.dataset.state = d.state;
  const text = { live: t('conn.liveNoSeq'), offline: t('conn.offline', { seq: d.seq, since: '' }), reconnecting: t('conn.reconnectingShort') }[d.state] || t('conn.connecting');
  el.querySelector('.conn-text').textContent = text;
}

async function main() {
  apply();
  bindToggle($('#lang'));
  $('#signout').addEventListener('click', signOut);
  S.me = await signIn({ roles: ['admin', 'dispatcher', 'grid_manager'], hint: t('signin.gridHint') });
  await Promise.all([loadCatalog(), setupMap()]);
  whoami();
  const ctx = {
    me: S.me, map: S.map, cats: S.cats, units: S.units, catLabel, onIssue, onShown,
    areaLabel: (code) => (code ? `${S.areas.get(code) || ''} ${code}`.trim() : '—'),
    unitLabel: (code) => (code ? (S.units.get(code) || {}).name || code : '—'),
    defaultUnit: (p) => (S.cats.get(p.category) || {}).unit || `jd${p.street}`,
    openDetail: (id) => select(String(id)),
    closeDetail: () => detail.close(),
  };
  detail = createDetail(ctx);
  createReporter(ctx);
  setupTabs(createParking(ctx));
  await loadList();
  const live = new Live({ token: token(), subscription: { layers: ['issues'], ...(S.me.areas.length ? { areas: S.me.areas } : {}) } });
  live.addEventListener('state', (e) => showConn(e.detail));
  live.addEventListener('change', (e) => {
    if (!e.detail.feature) {
      S.issues.delete(String(e.detail.id));
      renderSoon();
      return;
    }
    onIssue(e.detail.feature);
    detail.refreshIfShown(e.detail.feature);
  });
  live.addEventListener('reset', () => loadList().catch(() => {}));
  live.start();
  setInterval(renderSoon, 60000); // deadlines pass
  onLangChange(() => {
    whoami();
    render();
    if (detail.id) detail.open(detail.id).catch(() => {});
  });
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  console.error(err);
  document.body.dataset.ready = 'error';
});
