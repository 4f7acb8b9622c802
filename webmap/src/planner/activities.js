// 文明实践活动: the volunteer activities of the planner's period, per street and
// month — a table, bars of activities and attendance per street, a choropleth
// of the streets by the month's activities and the month's activities as
// points (GET /api/v1/reports/activities and /api/v1/activities). The panel
// makes its own card, so the planner only calls createActivities(ctx).
// Every text from the data goes in with textContent (h()), never as HTML.
import { get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { axisStyle, baseOption, chart, rem } from '../lib/charts.js';
import { fmtDateTime, fmtNumber, fmtPercent } from '../lib/format.js';
import { isZh } from '../lib/i18n.js';
import { addGeoJSON, bboxOf, createMap, empty, Popup, setData } from '../lib/map.js';
import { RAMP } from '../lib/theme.js';

// The panel's own strings, in both languages (kept here so that the panel is
// one module).
const S = {
  title: ['文明实践活动（按街道、按月）', 'Volunteer activities (by street and month)'],
  month: ['月份', 'Month'],
  street: ['街道', 'Street'],
  activities: ['活动', 'Activities'],
  held: ['已开展', 'Held'],
  signups: ['报名', 'Sign-ups'],
  attended: ['参加', 'Attended'],
  rate: ['到场率', 'Attendance'],
  none: ['本期无活动', 'No activities in the period'],
  menu: ['本月活动菜单', 'The month\'s menu'],
  place: ['地点', 'Place'],
  capacity: ['名额', 'Places'],
  status: ['状态', 'Status'],
  planned: ['计划中', 'planned'],
  cancelled: ['已取消', 'cancelled'],
  done: ['已开展', 'held'],
};
const s = (k) => S[k][isZh() ? 0 : 1];

const NODATA = '#1e293b';

function card() {
  const section = h('section', { class: 'card card-wide', id: 'view-activities' },
    h('div', { class: 'card-head' },
      h('h2', { class: 'panel-title', id: 'activities-title' }, s('title')),
      h('div', { class: 'controls' }, h('label', {}, h('span', { id: 'activities-month-label' }, s('month')),
        h('select', { id: 'activities-month' })))),
    h('div', { class: 'map-body' },
      h('div', { class: 'map-box' }, h('div', { id: 'activities-map', class: 'map' })),
      h('div', { class: 'ranking' }, h('table', { class: 'table', id: 'activities-table' }))),
    h('div', { id: 'chart-activities', class: 'chart' }),
    h('h3', { class: 'section-title', id: 'activities-list-title' }, s('menu')),
    h('ul', { class: 'activity-list', id: 'activities-list' }));
  $('main.board').append(section);
  return section;
}

export function createActivities(ctx) {
  card();
  const bars = chart($('#chart-activities'));
  let rows = [];
  let features = [];
  let month = '';
  let map = null;
  let seq = 0;
  const popup = new Popup({ closeButton: true, closeOnClick: true, maxWidth: '22rem' });

  const request = (format) => ({ path: '/api/v1/reports/activities', params: { ...ctx.range(), format } });

  async function setupMap() {
    if (map) return;
    ({ map } = await createMap($('#activities-map'), { theme: 'dark' }));
    addGeoJSON(map, 'activity-streets', empty(), [
      { id: 'activity-streets-fill', type: 'fill', paint: { 'fill-color': NODATA, 'fill-opacity': 0.7 } },
      { id: 'activity-streets-line', type: 'line', paint: { 'line-color': '#475569', 'line-width': 1 } },
    ]);
    addGeoJSON(map, 'activities', empty(), [
      { id: 'activities-points', type: 'circle', paint: { 'circle-radius': 6, 'circle-color': '#f59e0b',
        'circle-stroke-color': '#0b1526', 'circle-stroke-width': 1.5 } },
    ]);
    map.on('click', 'activities-points', (e) => {
      const f = e.features[0];
      const p = f.properties;
      popup.setLngLat(f.geometry.coordinates).setDOMContent(h('div', { class: 'activity-popup' },
        h('strong', { class: 'activity-title' }, p.title),
        h('div', {}, `${p.community_name || p.community} · ${fmtDateTime(p.starts_at)}`),
        h('div', {}, `${s('place')}: ${p.place || '—'}`),
        h('div', {}, `${s('signups')} ${fmtNumber(p.signups)}${p.capacity ? ' / ' + fmtNumber(p.capacity) : ''} · ${s('attended')} ${fmtNumber(p.attended)}`),
        h('div', {}, `${s('status')}: ${S[p.status] ? s(p.status) : p.status}`))).addTo(map);
    });
    map.on('mouseenter', 'activities-points', () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', 'activities-points', () => (map.getCanvas().style.cursor = ''));
  }

  async function load() {
    const mine = ++seq;
    await setupMap();
    const fc = await get('/api/v1/reports/activities', { ...ctx.range(), format: 'geojson' });
    if (mine !== seq) return;
    rows = fc.features.map((f) => ({ ...f.properties, geometry: f.geometry }));
    const months = [...new Set(rows.map((r) => r.month))].sort();
    if (!months.includes(month)) month = months[months.length - 1] || '';
    const select = $('#activities-month');
    fill(select, months.map((m) => h('option', { value: m, selected: m === month }, m)));
    select.onchange = () => {
      month = select.value;
      show();
    };
    await show();
  }

  async function show() {
    const mine = seq;
    const list = month ? await get('/api/v1/activities', { month }) : empty();
    if (mine !== seq) return;
    features = list.features;
    draw();
  }

  function draw() {
    $('#activities-title').textContent = s('title');
    $('#activities-month-label').textContent = s('month');
    const cur = rows.filter((r) => r.month === month);
    table(cur);
    choropleth(cur);
    if (map) setData(map, 'activities', { type: 'FeatureCollection', features });
    // what the point layer holds, for the browser test
    $('#activities-map').dataset.points = String(features.length);
    chartBars(cur);
    menu();
  }

  // menu lists the month's activities (the point layer's), titles as text
  function menu() {
    $('#activities-list-title').textContent = s('menu');
    fill($('#activities-list'), features.map((f) => {
      const p = f.properties;
      return h('li', { dataset: { id: String(f.id) } },
        h('span', { class: 'activity-title' }, p.title),
        h('span', { class: 'muted' }, ` · ${p.community_name || p.community} · ${fmtDateTime(p.starts_at)} · ${s('signups')} ${fmtNumber(p.signups)}${p.capacity ? '/' + fmtNumber(p.capacity) : ''}`));
    }));
  }

  function table(cur) {
    const el = $('#activities-table');
    const shown = cur.filter((r) => r.activities > 0 || r.signups > 0);
    if (!shown.length) {
      fill(el, h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, s('none')))));
      return;
    }
    const cols = ['street', 'activities', 'held', 'signups', 'attended', 'rate'];
    fill(el, h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { class: i ? 'n' : '' }, s(c))))),
      h('tbody', {}, shown.map((r) => h('tr', { dataset: { code: r.street || r.community } },
        h('td', { class: 'name' }, r.street_name || r.community_name),
        h('td', { class: 'n' }, fmtNumber(r.activities)),
        h('td', { class: 'n' }, fmtNumber(r.held)),
        h('td', { class: 'n' }, fmtNumber(r.signups)),
        h('td', { class: 'n' }, fmtNumber(r.attended)),
        h('td', { class: 'n' }, r.attendance_rate === null ? '—' : fmtPercent(r.attendance_rate))))));
  }

  function choropleth(cur) {
    if (!map) return;
    const max = Math.max(1, ...cur.map((r) => r.activities));
    const stops = RAMP.flatMap((c, i) => [(max * i) / (RAMP.length - 1), c]);
    map.setPaintProperty('activity-streets-fill', 'fill-color',
      ['case', ['>', ['get', 'activities'], 0], ['interpolate', ['linear'], ['get', 'activities'], ...stops], NODATA]);
    const areas = cur.map(({ geometry, ...props }) => ({ type: 'Feature', geometry, properties: props }));
    setData(map, 'activity-streets', { type: 'FeatureCollection', features: areas });
    const box = bboxOf(areas);
    if (box && !map.fitted) {
      map.fitBounds(box, { padding: 20, duration: 0 });
      map.fitted = true;
    }
  }

  function chartBars(cur) {
    const size = rem();
    const base = baseOption(size);
    const shown = cur.filter((r) => r.activities > 0 || r.signups > 0);
    bars.set({
      ...base,
      legend: { ...base.legend, data: [s('activities'), s('attended')] },
      grid: { left: 8, right: 8, top: size * 2, bottom: 4, containLabel: true },
      xAxis: { type: 'category', data: shown.map((r) => r.street_name || r.community_name), ...axisStyle(size) },
      yAxis: [{ type: 'value', ...axisStyle(size) }, { type: 'value', ...axisStyle(size), splitLine: { show: false } }],
      series: [
        { name: s('activities'), type: 'bar', data: shown.map((r) => r.activities), itemStyle: { color: '#22d3ee' } },
        { name: s('attended'), type: 'bar', yAxisIndex: 1, data: shown.map((r) => r.attended), itemStyle: { color: '#f59e0b' } },
      ],
    }, true);
  }

  return { load, request, redraw: draw };
}
