// /wall — the command-center wall. Runs unattended for days: every collection
// it keeps is bounded, charts are reused, timers are set once, and the data (not
// the page) is reloaded periodically and after a live reset. This file wires
// the parts (src/wall/): the open issues and today's figures, the map, the
// charts, the feed, the counters and panels.
import './lib/base.css';
import './wall.css';
import { get, ogcCount, pages, token } from './lib/api.js';
import { now, nowDate } from './lib/clock.js';
import { $ } from './lib/dom.js';
import { cityDate, fmtClock, fmtDay, isoCity, startOfDay } from './lib/format.js';
import { apply, bindToggle, onLangChange, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { signIn } from './lib/signin.js';
import { OPEN } from './lib/workflow.js';
import { WallCharts } from './wall/charts.js';
import { showConn } from './wall/conn.js';
import { fitCounters, flash, renderCounters } from './wall/counters.js';
import { DeclarationCounts } from './wall/declarations.js';
import { legend, MAP_MS, WallMap } from './wall/mapview.js';
import { loadCatalog } from './wall/names.js';
import { loadTasks, renderOverdue, renderTasks } from './wall/overdue.js';
import { Pulses } from './wall/pulses.js';
import { OpenIssues } from './wall/snapshot.js';
import { Ticker } from './wall/ticker.js';
import { Today } from './wall/today.js';

const MAX_ISSUES = 20000; // open issues kept for the map and the counters
const MAX_PULSES = 40;
const PULSE_MS = 30000;
const REFRESH_MS = 60000;
const SNAPSHOT_MS = 10 * 60000;
const RENDER_MS = 250;

const open = new OpenIssues(MAX_ISSUES);
const today = new Today(cityDate());
const pulses = new Pulses(MAX_PULSES, PULSE_MS);
const wallMap = new WallMap(pulses);
const decl = new DeclarationCounts();
const ticker = new Ticker($('#ticker'));
const S = {
  charts: null,
  serverOverdue: [], // the overdue list when the snapshot is incomplete
  leaders: new Map(), // street code → the leaders linked to it
  updatedAt: null,
  renderTimer: 0,
};

// The clock also turns the day: at the city's midnight today's counters and
// charts start again, and the server's figures for the new day are read.
function startClock() {
  const tick = () => {
    $('#clock-time').textContent = fmtClock();
    $('#clock-day').textContent = fmtDay();
    if (!S.charts) return;
    if (rollDay()) render();
    else if (now() - wallMap.at > MAP_MS) wallMap.renderPulses(); // expire the old ones
  };
  tick();
  setInterval(tick, 1000);
}

function rollDay() {
  if (!today.roll(cityDate())) return false;
  setTimeout(safely(refresh), 0); // the server's figures of the new day
  return true;
}

// loadSnapshot reads every open issue.
async function loadSnapshot() {
  await open.load(() => pages('/api/v1/issues', { status: OPEN.join(','), sort: 'deadline', limit: 1000 }, 20));
  scheduleRender();
}

function onIssue(change) {
  const prev = open.get(change.id);
  open.record(change);
  if (change.op === 'delete' || !change.feature) {
    open.apply(change);
    pulses.remove(change.id);
    scheduleRender();
    return;
  }
  const f = change.feature;
  const kind = today.count(prev, f, startOfDay().getTime());
  if (kind === 'new' || kind === 'closed') flash(kind);
  if (kind === 'new') pulses.add(f, now());
  if (kind) ticker.add(kind, f.properties);
  open.apply(change);
  scheduleRender();
}

function onDeclaration(change) {
  if (decl.crossed(change)) ticker.add('remind', change.feature.properties);
  declarationsSoon();
}

function scheduleRender() {
  if (S.renderTimer) return;
  S.renderTimer = setTimeout(() => {
    S.renderTimer = 0;
    render();
  }, RENDER_MS);
}

function render() {
  rollDay();
  const features = open.markOverdue(now());
  wallMap.schedule(features);
  const overdue = features.filter((f) => f.properties.overdue);
  if (open.complete) today.counts.overdue = overdue.length;
  renderCounters(today.counts);
  if (S.updatedAt) $('#updated').textContent = t('wall.updated', { time: fmtClock(S.updatedAt) });
  renderOverdue(open.complete ? overdue : S.serverOverdue);
  S.charts.schedule(today, features, overdue, S.leaders);
}

// --- periodic refresh from the server ---------------------------------------------

// soon(fn) is a function that runs fn a second after its last call.
function soon(fn) {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(safely(fn), 1000);
  };
}
const declarationsSoon = soon(() => decl.load());
const tasksSoon = soon(loadTasks);

async function refresh() {
  rollDay();
  const from = isoCity(startOfDay());
  const day = cityDate();
  // cases the stream brings while the counts are read are not in them yet
  const before = today.begin();
  const [n, c, o, cats, streets, overdueList] = await Promise.all([
    ogcCount('issues', { filter: `created_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: `closed_at >= TIMESTAMP('${from}')` }),
    ogcCount('issues', { filter: 'overdue = TRUE' }),
    get('/api/v1/reports/categories', { from: day, to: day }),
    get('/api/v1/reports/areas', { level: 'street', from: day, to: day }),
    open.complete ? null : get('/api/v1/issues', { overdue: true, sort: 'deadline', limit: 10 }),
  ]);
  if (day !== today.day) return; // the day turned meanwhile: its own refresh follows
  today.settle(before, { created: n, closed: c, overdue: o,
    byCategory: new Map(cats.rows.filter((r) => r.new > 0).map((r) => [r.category, r.new])),
    byStreet: new Map(streets.rows.map((r) => [r.code, r.new])) });
  S.leaders = new Map(streets.rows.filter((r) => r.leader).map((r) => [r.code, r.leader]));
  if (overdueList) S.serverOverdue = overdueList.features;
  S.updatedAt = nowDate();
  scheduleRender();
}

function safely(fn) {
  return () => fn().catch((err) => console.warn('wall:', err.message));
}

async function main() {
  apply();
  bindToggle($('#lang'));
  startClock();
  await signIn({ hint: t('signin.wallHint') });
  S.charts = new WallCharts();
  await Promise.all([loadCatalog(), wallMap.setup()]);
  legend();
  ticker.render();
  await Promise.all([loadSnapshot(), refresh()]);
  await Promise.all([safely(loadTasks)(), safely(() => decl.load(true))()]);
  const live = new Live({ token: token(), subscription: { layers: ['issues', 'parking', 'tasks', 'declarations'] } });
  live.addEventListener('state', (e) => showConn(e.detail));
  live.addEventListener('change', (e) => {
    if (e.detail.layer === 'issues') onIssue(e.detail);
    else if (e.detail.layer === 'tasks') tasksSoon();
    else if (e.detail.layer === 'declarations') onDeclaration(e.detail);
    else wallMap.onParking(e.detail);
  });
  live.addEventListener('reset', safely(loadSnapshot));
  live.addEventListener('reset', safely(() => decl.load(true)));
  live.start();
  setInterval(() => live.emitState(), 1000);
  setInterval(safely(refresh), REFRESH_MS);
  setInterval(safely(loadTasks), REFRESH_MS);
  setInterval(safely(() => decl.load()), REFRESH_MS); // deadlines pass between announcements
  setInterval(safely(loadSnapshot), SNAPSHOT_MS);
  setInterval(scheduleRender, 30000); // deadlines pass
  addEventListener('resize', () => {
    fitCounters();
    scheduleRender();
  });
  onLangChange(() => {
    pulses.dirty = true; // labels in the other language
    legend();
    ticker.redraw();
    renderTasks();
    decl.render();
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
