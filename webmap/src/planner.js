// /planner — reports for planners: the areas' evaluation as a choropleth,
// hotspots, trends, the red/black list and parking utilization, each
// exportable as CSV (and GeoJSON where it has geometry) for the chosen period.
import './lib/base.css';
import './planner.css';
import { download, ogcItems } from './lib/api.js';
import { $, fill, h, toast } from './lib/dom.js';
import { addDays, cityDate } from './lib/format.js';
import { apply, bindToggle, onLangChange, t } from './lib/i18n.js';
import { addBaseLayers, addFrame, bboxOf, createMap, hideStyleLayers } from './lib/map.js';
import { signIn } from './lib/signin.js';
import { CELLS, createMapView, LEVELS, MEASURES } from './planner/mapview.js';
import { createActivities } from './planner/activities.js';
import { createLosses } from './planner/losses.js';
import { createParkingView } from './planner/parking.js';
import { createRedBlack, ENTITIES, metricsFor } from './planner/redblack.js';
import { createTrends } from './planner/trends.js';
import { createSurveys } from './planner/surveys.js';

const MAX_DAYS = 366;

const state = {
  from: addDays(cityDate(), -29),
  to: cityDate(),
  view: 'areas',
  measure: 'closure_rate',
  level: 'street',
  cell: '500',
  interval: 'day',
  entity: 'areas',
  metric: 'closure_rate',
};

const views = {};
const names = new Map();
let streets = [];

const range = () => ({ from: state.from, to: state.to });

function days(from, to) {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86400000) + 1;
}

// presets of the period, in the city's calendar
function preset(name) {
  const today = cityDate();
  const [y, m] = today.split('-').map(Number);
  const first = (yy, mm) => `${yy}-${String(mm).padStart(2, '0')}-01`;
  switch (name) {
    case '7': return [addDays(today, -6), today];
    case '30': return [addDays(today, -29), today];
    case 'month': return [first(y, m), today];
    case 'lastMonth': {
      const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
      return [first(py, pm), addDays(first(y, m), -1)];
    }
    case 'quarter': return [first(y, Math.floor((m - 1) / 3) * 3 + 1), today];
  }
  return [state.from, state.to];
}

function options(select, values, label, selected) {
  fill(select, values.map((v) => h('option', { value: v, selected: v === selected }, label(v))));
}

function fillControls() {
  options($('#measure'), Object.keys(MEASURES), (m) => t('measure.' + m), state.measure);
  options($('#level'), LEVELS, (l) => t('level.' + l), state.level);
  options($('#cell'), CELLS, (c) => (c === 'grid' ? t('planner.byGrid') : t('planner.hexagon', { m: c })), state.cell);
  options($('#interval'), ['day', 'week'], (i) => t('planner.interval.' + i), state.interval);
  options($('#entity'), ENTITIES, (e) => t('entity.' + e), state.entity);
  options($('#metric'), metricsFor(state.entity), (m) => t('measure.' + m), state.metric);
  $('#from').value = state.from;
  $('#to').value = state.to;
  for (const b of document.querySelectorAll('[data-preset]')) {
    const [f, to] = preset(b.dataset.preset);
    b.setAttribute('aria-pressed', String(f === state.from && to === state.to));
  }
  document.querySelector('[data-export=redblack] [data-format=geojson]').disabled = !views.redblack.hasGeoJSON();
}

function run(name) {
  return views[name].load().catch((err) => {
    console.warn('planner:', name, err.message);
    toast(t('planner.failed', { message: err.message }), 'error');
  });
}

function loadAll() {
  fillControls();
  return Promise.all(['map', 'trends', 'redblack', 'parking', 'lossUnits', 'lossIndicators', 'activities'].map(run));
}

function setPeriod(from, to) {
  if (!from || !to) return;
  if (from > to) [from, to] = [to, from];
  if (days(from, to) > MAX_DAYS) {
    from = addDays(to, -(MAX_DAYS - 1));
    toast(t('planner.maxRange', { n: MAX_DAYS }));
  }
  state.from = from;
  state.to = to;
  state.interval = days(from, to) > 62 ? 'week' : 'day';
  loadAll();
}

function bindControls() {
  for (const b of document.querySelectorAll('[data-preset]')) b.addEventListener('click', () => setPeriod(...preset(b.dataset.preset)));
  $('#from').addEventListener('change', () => setPeriod($('#from').value, state.to));
  $('#to').addEventListener('change', () => setPeriod(state.from, $('#to').value));
  const on = (id, key, then) => $(id).addEventListener('change', () => {
    state[key] = $(id).value;
    then();
  });
  on('#measure', 'measure', () => run('map'));
  on('#level', 'level', () => Promise.all([run('map'), state.entity === 'areas' ? run('redblack') : null]));
  on('#cell', 'cell', () => run('map'));
  on('#interval', 'interval', () => run('trends'));
  on('#entity', 'entity', () => {
    if (!metricsFor(state.entity).includes(state.metric)) state.metric = metricsFor(state.entity)[0];
    fillControls();
    run('redblack');
  });
  on('#metric', 'metric', () => run('redblack'));
  for (const tab of document.querySelectorAll('.tab-inline')) {
    tab.addEventListener('click', () => {
      state.view = tab.dataset.view;
      for (const x of document.querySelectorAll('.tab-inline')) x.setAttribute('aria-selected', String(x === tab));
      $('#areas-controls').hidden = state.view !== 'areas';
      $('#hotspot-controls').hidden = state.view !== 'hotspots';
      run('map');
    });
  }
  for (const box of document.querySelectorAll('.exports')) {
    for (const b of box.querySelectorAll('button')) b.addEventListener('click', () => exportView(box.dataset.export, b.dataset.format, b));
  }
}

async function exportView(name, format, button) {
  const { path, params } = views[name].request(format);
  const report = path.split('/').pop();
  button.disabled = true;
  try {
    // named as the server names its CSV files: the range's first day and the day after its last
    const day = (d) => d.replaceAll('-', '');
    const file = await download(path, params, `${report}_${day(state.from)}_${day(addDays(state.to, 1))}.${format}`);
    toast(t('planner.exported', { file }), 'ok');
  } catch (err) {
    toast(t('planner.failed', { message: err.message }), 'error');
  } finally {
    button.disabled = false;
  }
}

async function setupMap() {
  const { map, tiled } = await createMap($('#map'), { theme: 'dark' });
  const [areas] = await Promise.all([
    ogcItems('areas'),
    tiled ? hideStyleLayers(map, ['issues', 'points', 'parking']) : addBaseLayers(map, { points: false, parking: false }),
  ]);
  for (const f of areas.features) names.set(f.properties.code, f.properties.name);
  streets = areas.features.filter((f) => f.properties.level === 'street');
  const district = areas.features.filter((f) => f.properties.level === 'district');
  const box = bboxOf(district.length ? district : areas.features);
  if (box) map.fitBounds(box, { padding: 20, duration: 0 });
  views.map = createMapView({ map, state, range, areaName: (c) => names.get(c), streets });
  addFrame(map, areas, { communities: false });
  views.surveys = createSurveys({ map });
}

async function main() {
  apply();
  bindToggle($('#lang'));
  const me = await signIn({ roles: ['admin', 'dispatcher', 'planner', 'viewer', 'grid_manager'] });
  $('#whoami').textContent = `${me.name} · ${t('role.' + me.role)}`;
  const ctx = { state, range };
  views.trends = createTrends(ctx);
  views.redblack = createRedBlack(ctx);
  views.parking = createParkingView(ctx);
  const losses = createLosses(ctx);
  views.lossUnits = losses.units;
  views.lossIndicators = losses.indicators;
  views.activities = createActivities(ctx);
  await setupMap();
  bindControls();
  await loadAll();
  await views.surveys.load();
  onLangChange(() => {
    views.surveys.redraw();
    $('#whoami').textContent = `${me.name} · ${t('role.' + me.role)}`;
    fillControls();
    views.map.repaint();
    views.trends.redraw();
    views.parking.redraw();
    views.activities.redraw();
    run('redblack');
    run('lossUnits');
    run('lossIndicators');
  });
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  console.error(err);
  document.body.dataset.ready = 'error';
});
