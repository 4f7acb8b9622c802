// /wall — the command-center wall. Runs unattended for days: every collection
// it keeps is bounded, charts are reused, timers are set once, and the data (not
// the page) is reloaded periodically and after a live reset.
import './lib/base.css';
import './wall.css';
import { get, ogcCount, pages, token } from './lib/api.js';
import { chart, rem, baseOption, axisStyle } from './lib/charts.js';
import { now, nowDate } from './lib/clock.js';
import { $, fill, h } from './lib/dom.js';
import { cityDate, fmtClock, fmtDay, fmtDuration, fmtNumber, fmtTime, isoCity, startOfDay } from './lib/format.js';
import { apply, bindToggle, catName, isZh, onLangChange, statusName, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { addBaseLayers, addFrame, addGeoJSON, asPoints, bboxOf, collection, createMap, hideStyleLayers, PARKING_COLOR, POINT_COLOR, setData, symbolLabels, textImage } from './lib/map.js';
import { signIn } from './lib/signin.js';
import { ACCENT, colorOf, OVERDUE, STATUS_COLORS, statusColor } from './lib/theme.js';
import { isOpen, OPEN } from './lib/workflow.js';

const MAX_ISSUES = 20000; // open issues kept for the map and the counters
const MAX_PULSES = 40;
const PULSE_MS = 30000;
const RING_MS = 1800; // one ring's journey out of a new issue's dot
const RING_FRAME_MS = 150; // the rings move at ~7 frames a second: a big wall repaints its whole map each time
const MAX_SEEN = 100000; // ids counted today
const TICKER_ROWS = 6; // rows of the live feed, a summary row included
const TICKER_MS = 1000; // the feed changes at most once a second: a flood must not flicker
const FLOOD_WINDOW_MS = 60000;
const REFRESH_MS = 60000;
const SNAPSHOT_MS = 10 * 60000;
const RENDER_MS = 250;
const MAX_REMINDERS = 5000; // declarations whose reminder is remembered
const DECL_DUES = ['overdue', '3d', '7d'];

const S = {
  map: null,
  tiled: false,
  cats: new Map(), // code → category
  units: new Map(), // code → name
  streets: new Map(), // code → name
  issues: new Map(), // id → open issue feature
  complete: false, // the snapshot holds every open issue
  counts: { new: null, closed: null, overdue: null },
  bumps: { new: 0, closed: 0 }, // cases counted from the stream, ever
  serverOverdue: [], // the overdue list when the snapshot is incomplete
  day: cityDate(),
  seenNew: new Set(),
  seenClosed: new Set(),
  catToday: new Map(),
  streetToday: new Map(),
  pulses: new Map(), // id → {feature, at, n}, oldest first
  pulseN: 0,
  ticker: [], // the newest events, newest first
  tickerTimes: [], // when each event of the last minute came
  tickerEls: new Map(), // event id → its <li>, reused so that it is not animated again
  tickerSeq: 0,
  tickerAt: 0,
  tickerTimer: 0,
  bounds: null,
  parking: null, // the parking collection (plain style only), kept for live updates
  renderTimer: 0,
  updatedAt: null,
  pending: null, // changes received while the snapshot loads
  tasks: { total: null, features: [] }, // the overdue tasks, soonest due first
  leaders: new Map(), // street code → the leaders linked to it
  decl: { overdue: null, '3d': null, '7d': null }, // declarations by reminder (网上申报)
  reminders: new Map(), // declaration id → its reminder, to tell a crossing from another change
};

let charts = {};

// The clock also turns the day: at the city's midnight today's counters and
// charts start again, and the server's figures for the new day are read.
function startClock() {
  const tick = () => {
    $('#clock-time').textContent = fmtClock();
    $('#clock-day').textContent = fmtDay();
    if (!S.charts) return;
    if (rollDay()) render();
    else if (now() - mapAt > MAP_MS) renderPulses(); // expire the old ones
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
  S.bounds = bboxOf(district ? [district] : areas.features);
  if (S.bounds) map.fitBounds(S.bounds, { padding: 30, duration: 0 });
  addGeoJSON(map, 'live-issues', null, [
    { id: 'issue-halo', type: 'circle', filter: ['==', ['get', 'overdue'], true],
      paint: { 'circle-color': OVERDUE, 'circle-opacity': 0.25, 'circle-blur': 0.6,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 9, 14, 18] } },
    { id: 'issue-dot', type: 'circle',
      paint: { 'circle-color': statusColor, 'circle-stroke-color': '#050b16', 'circle-stroke-width': 1.2,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 4, 14, 8] } },
  ]);
  const size = rem();
  addGeoJSON(map, 'pulses', null, [
    ...[0, 1].map((i) => ({ id: `pulse-ring-${i}`, type: 'circle',
      paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': ACCENT, 'circle-stroke-width': 3, 'circle-radius': size * 0.55 } })),
    { id: 'pulse-core', type: 'circle',
      paint: { 'circle-color': ['get', 'color'], 'circle-radius': size * 0.55, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
    // newest first: the label of an older case gives way to a newer one's
    { id: 'pulse-label', type: 'symbol',
      filter: ['has', 'img'],
      layout: { 'icon-image': ['get', 'img'], 'icon-anchor': ['get', 'anchor'],
        'icon-offset': ['case', ['==', ['get', 'anchor'], 'right'], ['literal', [-size * 1.1, 0]], ['literal', [size * 1.1, 0]]],
        'icon-padding': 2, 'icon-allow-overlap': false, 'icon-ignore-placement': false, 'symbol-sort-key': ['get', 'order'] } },
  ]);
  // the streets' names over everything and placed first: new cases' labels keep clear of them
  const names = symbolLabels(map, 'area-label', streets, (f) => f.properties.name,
    { size: size * 0.85, color: '#cfe3ff', halo: '#000000' });
  $('#map').labels = names.map((f) => f.properties.label);
  $('#map').map = map; // for the browser tests: rendered features and their boxes
  $('#map').pulses = S.pulses;
  addEventListener('resize', () => {
    if (S.bounds) map.fitBounds(S.bounds, { padding: 30, duration: 0 });
    S.pulsesDirty = true;
  });
  setInterval(animateRings, RING_FRAME_MS);
}

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

// animateRings moves the two rings of every new case out of its dot, half a
// journey apart; with no new case (or reduced motion) the map is left still.
// A step waits for the map to have drawn the last one: a wall whose machine
// draws slowly gets fewer steps, not a queue of them.
let ringDrawn = true;
function animateRings() {
  if (!S.map || !S.pulses.size || !ringDrawn) return;
  ringDrawn = false;
  S.map.once('render', () => (ringDrawn = true));
  const size = rem();
  for (const i of [0, 1]) {
    const phase = reducedMotion.matches ? 0.3 : ((now() / RING_MS) + i / 2) % 1;
    S.map.setPaintProperty(`pulse-ring-${i}`, 'circle-radius', size * 0.55 * (1 + 3.5 * phase));
    S.map.setPaintProperty(`pulse-ring-${i}`, 'circle-stroke-opacity', 0.95 * (1 - phase));
  }
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
  setTimeout(safely(refresh), 0); // the server's figures of the new day
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
    S.bumps.new++;
    if (S.counts.new !== null) S.counts.new++;
    bump(S.catToday, p.category);
    bump(S.streetToday, p.street);
    flash('new');
    pulse(f);
    addTicker('new', p);
  } else if (p.status === 'closed' && isToday(p.closed_at) && !S.seenClosed.has(id)) {
    remember(S.seenClosed, id);
    S.bumps.closed++;
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

// --- new cases on the map: bounded, each shown for PULSE_MS ------------------

function pulseLabel(category) {
  const text = t('wall.newIssue', { cat: catLabel(category) });
  const size = rem() * 1.05;
  const img = `pulse:${size}:${text}`; // one image per label and type size (a wall resized)
  const { w, h } = textImage(S.map, img, text, { size, bg: '#0e7490e6', border: ACCENT });
  return { img, w, h };
}

function pulse(f) {
  const id = String(f.id);
  S.pulses.delete(id);
  S.pulses.set(id, { feature: f, at: now(), n: ++S.pulseN });
  while (S.pulses.size > MAX_PULSES) S.pulses.delete(S.pulses.keys().next().value);
  S.pulsesDirty = true;
}

function unpulse(id) {
  if (S.pulses.delete(id)) S.pulsesDirty = true;
}

// renderPulses drops the expired and draws the rest, newest first.
function renderPulses() {
  if (!S.map) return;
  const cutoff = now() - PULSE_MS;
  for (const [id, p] of S.pulses) {
    if (p.at < cutoff) {
      S.pulses.delete(id);
      S.pulsesDirty = true;
    }
  }
  if (!S.pulsesDirty) return;
  S.pulsesDirty = false;
  const keepOut = overlays();
  const features = [...S.pulses.values()].map(({ feature: f, n }) => {
    const label = pulseLabel(f.properties.category);
    const side = labelSide(f.geometry.coordinates, label, keepOut);
    const props = { issue: String(f.id), order: -n, color: colorOf(f.properties) };
    if (side) Object.assign(props, { img: label.img, w: label.w, h: label.h, anchor: side });
    return { type: 'Feature', id: n, geometry: f.geometry, properties: props };
  });
  setData(S.map, 'pulses', collection(features));
}

// overlays are the boxes over the map (the legend, the feed) and the map's own
// edges, in the map's pixels: a label there would be cut.
function overlays() {
  const m = $('#map').getBoundingClientRect();
  const boxes = ['#legend', '.ticker'].map((sel) => {
    const r = $(sel).getBoundingClientRect();
    return { x1: r.left - m.left, y1: r.top - m.top, x2: r.right - m.left, y2: r.bottom - m.top };
  });
  return { width: m.width, height: m.height, boxes };
}

// labelSide puts a new case's label right of its dot, or left where the right
// is cut or covered; null where both are (the dot alone is drawn).
function labelSide(coords, { w, h }, { width, height, boxes }) {
  const p = S.map.project(coords);
  const gap = rem() * 1.1;
  for (const side of ['left', 'right']) { // the anchor: a label anchored left lies right of the dot
    const x1 = side === 'left' ? p.x + gap : p.x - gap - w;
    const b = { x1, x2: x1 + w, y1: p.y - h / 2, y2: p.y + h / 2 };
    const inside = b.x1 >= 2 && b.y1 >= 2 && b.x2 <= width - 2 && b.y2 <= height - 2;
    if (inside && !boxes.some((o) => b.x1 < o.x2 && o.x1 < b.x2 && b.y1 < o.y2 && o.y1 < b.y2)) return side;
  }
  return null;
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
function markOverdue(at = now()) {
  const out = [];
  for (const f of S.issues.values()) {
    const p = f.properties;
    p.overdue = isOpen(p.status) && p.deadline !== null && Date.parse(p.deadline) < at;
    out.push(f);
  }
  return out;
}

function render() {
  rollDay();
  const features = markOverdue();
  scheduleMap(features);
  const overdue = features.filter((f) => f.properties.overdue);
  if (S.complete) S.counts.overdue = overdue.length;
  renderCounters();
  if (S.updatedAt) $('#updated').textContent = t('wall.updated', { time: fmtClock(S.updatedAt) });
  renderOverdue(S.complete ? overdue : S.serverOverdue);
  scheduleCharts(features, overdue);
}

// The map's data changes at most every MAP_MS: each change re-tiles its
// source in the worker and repaints the whole map, which on a 8K wall costs
// more than a fraction of a second.
const MAP_MS = 1000;
let mapAt = 0;
let mapTimer = 0;
let mapData = null;
function scheduleMap(features) {
  mapData = features;
  if (mapTimer) return;
  mapTimer = setTimeout(() => {
    mapTimer = 0;
    mapAt = now();
    setData(S.map, 'live-issues', collection(mapData));
    mapData = null;
    S.pulsesDirty = true;
    renderPulses();
  }, Math.max(0, mapAt + MAP_MS - now()));
}

// The charts change at most every CHART_MS: at ten cases a second they would
// be forever mid-animation, their labels on the move, and the page busy.
const CHART_MS = 2000;
let chartsAt = 0;
let chartsTimer = 0;
let chartsData = null;
function scheduleCharts(features, overdue) {
  chartsData = [features, overdue];
  if (chartsTimer) return;
  chartsTimer = setTimeout(() => {
    chartsTimer = 0;
    chartsAt = now();
    renderCharts(...chartsData);
    chartsData = null;
  }, Math.max(0, chartsAt + CHART_MS - now()));
}

function renderCounters() {
  for (const k of ['new', 'closed', 'overdue']) {
    const el = $(`#count-${k}`);
    const v = S.counts[k] === null ? '—' : fmtNumber(S.counts[k]);
    if (el.textContent !== v) {
      el.textContent = v;
      fitText(el);
    }
  }
}

// fitText shrinks an element's type until its text fits its box (a counter of
// six digits in a narrow column); the style sheet's size is the largest.
function fitText(el) {
  el.style.fontSize = '';
  if (!el.clientWidth || el.scrollWidth <= el.clientWidth) return; // (a box not laid out has no width to fit)
  const px = parseFloat(getComputedStyle(el).fontSize);
  el.style.fontSize = `${Math.floor(px * (el.clientWidth / el.scrollWidth) * 0.97)}px`;
}

function fitCounters() {
  for (const el of document.querySelectorAll('.counter-value, .task-count, .decl-value')) fitText(el);
}

const flashedAt = {};

// flash makes a counter glow when it changes, at most once a second: at ten
// cases a second it would never stop.
function flash(kind) {
  if (now() - (flashedAt[kind] || 0) < 1000) return;
  flashedAt[kind] = now();
  const el = $(`.counter-${kind}`);
  el.classList.remove('bump');
  void el.offsetWidth; // restart the animation
  el.classList.add('bump');
}

function renderOverdue(list) {
  const at = now();
  const top = [...list].sort((a, b) => Date.parse(a.properties.deadline) - Date.parse(b.properties.deadline)).slice(0, 10);
  if (!top.length) {
    fill($('#overdue'), h('li', { class: 'empty' }, t('wall.noOverdue')));
    return;
  }
  fill($('#overdue'), ...top.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { issueId: f.id } },
      h('span', { class: 'cat' }, catLabel(p.category)),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(at - Date.parse(p.deadline)) })),
      h('span', { class: 'where' },
        h('span', { class: 'chip', style: { '--c': STATUS_COLORS[p.status] } }, statusName(p.status)),
        [S.streets.get(p.street), p.address].filter(Boolean).join(' · ')));
  }));
}

function addTicker(kind, p) {
  S.ticker.unshift({ id: ++S.tickerSeq, at: nowDate(), kind, category: p.category, street: p.street,
    unit: p.unit_name || p.unit, indicator: p.indicator_name || p.indicator, reminder: p.reminder });
  S.ticker.length = Math.min(S.ticker.length, TICKER_ROWS);
  S.tickerTimes.push(now());
  if (S.tickerTimes.length > 20000) S.tickerTimes.splice(0, 10000);
  scheduleTicker();
}

// scheduleTicker redraws the feed at once when it has been still for a while,
// else at the end of the current second.
function scheduleTicker() {
  if (S.tickerTimer) return;
  const wait = Math.max(0, S.tickerAt + TICKER_MS - now());
  S.tickerTimer = setTimeout(() => {
    S.tickerTimer = 0;
    renderTicker();
  }, wait);
}

// renderTicker shows the newest events, each row drawn once (and slid in only
// when events come slowly); when more came in the last minute than the rows
// hold, the first row counts the rest instead.
function renderTicker() {
  S.tickerAt = now();
  const cutoff = now() - FLOOD_WINDOW_MS;
  let old = 0;
  while (old < S.tickerTimes.length && S.tickerTimes[old] < cutoff) old++;
  if (old) S.tickerTimes.splice(0, old);
  if (!S.ticker.length) {
    S.tickerEls.clear();
    fill($('#ticker'), h('li', { class: 'empty muted' }, t('wall.waiting')));
    return;
  }
  const recent = S.tickerTimes.length;
  const flood = recent > TICKER_ROWS;
  const shown = S.ticker.slice(0, flood ? TICKER_ROWS - 1 : TICKER_ROWS);
  const rows = shown.map((e) => S.tickerEls.get(e.id) || tickerRow(e, !flood));
  const keep = new Set(shown.map((e) => e.id));
  for (const id of S.tickerEls.keys()) if (!keep.has(id)) S.tickerEls.delete(id);
  shown.forEach((e, i) => S.tickerEls.set(e.id, rows[i]));
  const more = recent - shown.length;
  fill($('#ticker'), flood ? h('li', { class: 'summary' }, t('wall.tickerMore', { n: fmtNumber(more) })) : null, ...rows);
}

const REMIND_COLORS = { overdue: OVERDUE, due_3d: STATUS_COLORS.dispatched, due_7d: ACCENT };

function tickerRow(e, animate) {
  if (e.kind === 'remind') return remindRow(e, animate);
  const li = h('li', { class: animate ? 'enter' : '' },
    h('span', { class: 'time' }, fmtTime(e.at)),
    h('span', { class: 'chip', style: { '--c': e.kind === 'new' ? ACCENT : STATUS_COLORS[e.kind] } },
      e.kind === 'new' ? t('wall.eventNew') : statusName(e.kind)),
    h('span', { class: 'what' }, [catLabel(e.category), S.streets.get(e.street)].filter(Boolean).join(' · ')));
  // moved rows are not slid in again
  if (animate) li.addEventListener('animationend', () => li.classList.remove('enter'), { once: true });
  return li;
}

// remindRow is a declaration crossing a reminder threshold: 申报提醒 · unit ·
// indicator · how due.
function remindRow(e, animate) {
  const li = h('li', { class: `remind ${animate ? 'enter' : ''}`, dataset: { reminder: e.reminder } },
    h('span', { class: 'time' }, fmtTime(e.at)),
    h('span', { class: 'chip', style: { '--c': REMIND_COLORS[e.reminder] } }, t('wall.declRemind')),
    h('span', { class: 'what' }, [e.unit, e.indicator, t(`wall.remind.${e.reminder}`)].filter(Boolean).join(' · ')));
  if (animate) li.addEventListener('animationend', () => li.classList.remove('enter'), { once: true });
  return li;
}

// --- charts -------------------------------------------------------------------

function barOption(names, series, size) {
  return {
    ...baseOption(size),
    // no animation between updates: moving labels would cross each other
    // (their overlap is judged where they come to rest)
    animationDurationUpdate: 0,
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
    label: { show: true, position: 'right', color: '#e6edf7', fontSize: size * 0.85 },
    // two close values of neighbouring bars would print over each other: the later one gives way
    labelLayout: { hideOverlap: true } };
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
  ], size));
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
  ], size));
}

// --- periodic refresh from the server ---------------------------------------------

// loadTasks reads the overdue tasks: the count and the longest overdue.
async function loadTasks() {
  const fc = await get('/api/v1/tasks', { overdue: true, limit: 4 });
  S.tasks = { total: fc.overdue, features: fc.features };
  renderTasks();
}

function renderTasks() {
  const tasks = $('#count-tasks-overdue');
  tasks.textContent = S.tasks.total === null ? '—' : fmtNumber(S.tasks.total);
  fitText(tasks);
  if (!S.tasks.features.length) {
    fill($('#overdue-tasks'), h('li', { class: 'empty' }, t('wall.tasksNone')));
    return;
  }
  const at = now();
  fill($('#overdue-tasks'), ...S.tasks.features.map((f) => {
    const p = f.properties;
    return h('li', { dataset: { taskId: f.id } },
      h('span', { class: 'cat' }, p.title),
      h('span', { class: 'late' }, t('wall.late', { d: fmtDuration(at - Date.parse(p.due_at)) })),
      h('span', { class: 'where' }, [S.units.get(p.unit) || p.unit, p.owner].filter(Boolean).join(' · ')));
  }));
}

// loadDeclarations reads how many declarations are overdue, due within 3 and
// within 7 days (the server's due= filters). With seed it also remembers each
// one's reminder, so that a live change tells a crossing from an upload.
async function loadDeclarations(seed = false) {
  const limit = seed ? 2000 : 1;
  const lists = await Promise.all(DECL_DUES.map((due) => get('/api/v1/declarations', { due, limit: due === '3d' ? 1 : limit })));
  DECL_DUES.forEach((due, i) => (S.decl[due] = lists[i].total));
  if (seed) {
    S.reminders.clear();
    for (const d of [...lists[0].declarations, ...lists[2].declarations]) rememberReminder(d.id, d.reminder);
  }
  renderDeclarations();
}

function rememberReminder(id, reminder) {
  const key = String(id);
  S.reminders.delete(key);
  if (!reminder) return;
  S.reminders.set(key, reminder);
  if (S.reminders.size > MAX_REMINDERS) S.reminders.delete(S.reminders.keys().next().value);
}

// onDeclaration puts a reminder crossed (or an accepted declaration's, gone)
// on the feed and recounts soon: the counts are the server's.
function onDeclaration(change) {
  const id = String(change.id);
  const p = change.feature ? change.feature.properties : {};
  const reminder = change.op === 'delete' ? null : p.reminder || null;
  if (reminder && S.reminders.get(id) !== reminder) addTicker('remind', p);
  rememberReminder(id, reminder);
  declarationsSoon();
}

function renderDeclarations() {
  for (const due of DECL_DUES) {
    const el = $(`#count-decl-${due}`);
    const v = S.decl[due] === null ? '—' : fmtNumber(S.decl[due]);
    if (el.textContent === v) continue;
    const changed = el.textContent !== '—';
    el.textContent = v;
    fitText(el);
    if (changed) glow(el.parentElement);
  }
}

function glow(el) {
  el.classList.remove('bump');
  void el.offsetWidth; // restart the animation
  el.classList.add('bump');
}

const declarationsSoon = (() => {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(safely(loadDeclarations), 1000);
  };
})();

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
  // cases the stream brings while the counts are read are not in them yet
  const bumped = { ...S.bumps };
  const [n, c, o, cats, streets, overdueList] = await Promise.all([
    ogcCount('issues', { filter: `created_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: `closed_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: 'overdue = TRUE' }),
    get('/api/v1/reports/categories', { from: day, to: day }),
    get('/api/v1/reports/areas', { level: 'street', from: day, to: day }),
    S.complete ? null : get('/api/v1/issues', { overdue: true, sort: 'deadline', limit: 10 }),
  ]);
  if (day !== S.day) return; // the day turned meanwhile: its own refresh follows
  S.counts = { new: n + (S.bumps.new - bumped.new), closed: c + (S.bumps.closed - bumped.closed), overdue: o };
  S.catToday = new Map(cats.rows.filter((r) => r.new > 0).map((r) => [r.category, r.new]));
  S.streetToday = new Map(streets.rows.map((r) => [r.code, r.new]));
  S.leaders = new Map(streets.rows.filter((r) => r.leader).map((r) => [r.code, r.leader]));
  if (overdueList) S.serverOverdue = overdueList.features;
  S.updatedAt = nowDate();
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
  S.charts = charts;
  await Promise.all([loadCatalog(), setupMap()]);
  legend();
  renderTicker();
  await Promise.all([loadSnapshot(), refresh()]);
  await Promise.all([safely(loadTasks)(), safely(() => loadDeclarations(true))()]);
  const live = new Live({ token: token(), subscription: { layers: ['issues', 'parking', 'tasks', 'declarations'] } });
  live.addEventListener('state', (e) => showConn(e.detail));
  live.addEventListener('change', (e) => {
    if (e.detail.layer === 'issues') onIssue(e.detail);
    else if (e.detail.layer === 'tasks') tasksSoon();
    else if (e.detail.layer === 'declarations') onDeclaration(e.detail);
    else onParking(e.detail);
  });
  live.addEventListener('reset', safely(loadSnapshot));
  live.addEventListener('reset', safely(() => loadDeclarations(true)));
  live.start();
  setInterval(() => live.emitState(), 1000);
  setInterval(safely(refresh), REFRESH_MS);
  setInterval(safely(loadTasks), REFRESH_MS);
  setInterval(safely(loadDeclarations), REFRESH_MS); // deadlines pass between announcements
  setInterval(safely(loadSnapshot), SNAPSHOT_MS);
  setInterval(scheduleRender, 30000); // deadlines pass
  addEventListener('resize', () => {
    fitCounters();
    scheduleRender();
  });
  onLangChange(() => {
    S.pulsesDirty = true; // labels in the other language
    S.tickerEls.clear();
    legend();
    renderTicker();
    renderTasks();
    renderDeclarations();
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
