// The planner's map: a choropleth of the areas of a level by an evaluation
// figure, or the issue hotspots as hexagons (or unit grids), with a legend, a
// ranking beside it and a popup with each area's figures.
import { get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { fmtHours, fmtNumber, fmtPercent } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { addGeoJSON, bboxOf, centroid, empty, Popup, setData } from '../lib/map.js';
import { RAMP } from '../lib/theme.js';

const NODATA = '#1e293b';
const GOOD_BAD = ['#0f766e', '#14b8a6', '#a3e635', '#facc15', '#f97316', '#dc2626'];

export const MEASURES = {
  closure_rate: { fmt: fmtPercent, better: 'high' },
  on_time_rate: { fmt: fmtPercent, better: 'high' },
  rework_rate: { fmt: fmtPercent, better: 'low' },
  new: { fmt: fmtNumber, better: 'volume' },
  median_handling_hours: { fmt: fmtHours, better: 'low' },
};
export const LEVELS = ['street', 'community', 'grid'];
export const CELLS = ['250', '500', '1000', '2000', 'grid'];

function palette(better) {
  if (better === 'volume') return RAMP;
  return better === 'high' ? [...GOOD_BAD].reverse() : GOOD_BAD;
}

// colorExpr spreads a palette over [min, max] of prop; features without a value
// are drawn as "no data".
// Counts (volume) are skewed — a few hot cells, many quiet ones — so their stops
// crowd towards the low end.
function colorExpr(prop, min, max, colors, volume) {
  const span = max > min ? max - min : 1;
  const at = (i) => (volume ? (i / (colors.length - 1)) ** 2 : i / (colors.length - 1));
  const stops = colors.flatMap((c, i) => [min + span * at(i), c]);
  return ['case', ['==', ['typeof', ['get', prop]], 'number'], ['interpolate', ['linear'], ['get', prop], ...stops], NODATA];
}

// inside reports whether point p lies in a (Multi)Polygon.
function inside(p, geom) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  return polys.some((rings) => rings.reduce((acc, ring, i) => (ringHas(ring, p) ? !acc : acc), false));
}

function ringHas(ring, [x, y]) {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

export function createMapView(ctx) {
  const { map } = ctx;
  let data = empty();
  let prop = 'closure_rate';
  let seq = 0;
  const popup = new Popup({ closeButton: false, closeOnClick: false, maxWidth: '22rem' });

  addGeoJSON(map, 'report', empty(), [
    { id: 'report-fill', type: 'fill', paint: { 'fill-color': NODATA, 'fill-opacity': 0.78 } },
    { id: 'report-line', type: 'line', paint: { 'line-color': '#0b1526', 'line-width': 0.8 } },
    { id: 'report-hover', type: 'line', filter: ['==', ['id'], ''], paint: { 'line-color': '#ffffff', 'line-width': 2.5 } },
  ], { promoteId: 'key' });

  map.on('mousemove', 'report-fill', (e) => {
    const f = e.features[0];
    if (!f) return;
    map.getCanvas().style.cursor = 'pointer';
    map.setFilter('report-hover', ['==', ['id'], f.id]);
    popup.setLngLat(e.lngLat).setDOMContent(popupContent(f.properties)).addTo(map);
  });
  map.on('mouseleave', 'report-fill', () => {
    map.getCanvas().style.cursor = '';
    map.setFilter('report-hover', ['==', ['id'], '']);
    popup.remove();
  });

  function name(p) {
    if (p.name) return p.name;
    if (p.code && p.code.length === 14) return `${ctx.areaName(p.code.slice(0, 12)) || ''} ${t('planner.gridNo', { n: p.code.slice(12) })}`.trim();
    if (p.lon !== undefined) {
      const street = ctx.streets.find((s) => inside([p.lon, p.lat], s.geometry));
      return `${street ? street.properties.name : ''} ${p.lon.toFixed(3)}, ${p.lat.toFixed(3)}`.trim();
    }
    return p.code || p.cell || '';
  }

  function popupContent(p) {
    const rows = ctx.state.view === 'areas'
      ? ['new', 'due', 'closed', 'closure_rate', 'on_time_rate', 'rework_rate', 'median_handling_hours'].map((k) => [t('measure.' + k), fmtValue(k, p[k])])
      : [[t('planner.issues'), fmtNumber(p.issues)]];
    return h('div', { class: 'popup' }, h('strong', {}, name(p)),
      h('table', { class: 'table' }, rows.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'n' }, v)))));
  }

  function fmtValue(k, v) {
    const m = MEASURES[k];
    return m ? m.fmt(v) : fmtNumber(v);
  }

  function request(format) {
    const s = ctx.state;
    if (s.view === 'areas') return { path: '/api/v1/reports/areas', params: { ...ctx.range(), level: s.level, format } };
    const cell = s.cell === 'grid' ? { by: 'grid' } : { size: s.cell };
    return { path: '/api/v1/reports/hotspots', params: { ...ctx.range(), ...cell, format } };
  }

  async function load() {
    const mine = ++seq;
    const { path, params } = request('geojson');
    const fc = await get(path, params);
    if (mine !== seq) return;
    data = fc;
    for (const f of data.features) f.properties.key = String(f.id ?? f.properties.code ?? f.properties.cell);
    prop = ctx.state.view === 'areas' ? ctx.state.measure : 'issues';
    setData(map, 'report', data);
    paint();
  }

  function paint() {
    const values = data.features.map((f) => f.properties[prop]).filter((v) => typeof v === 'number');
    const min = values.length ? Math.min(...values) : 0;
    const max = values.length ? Math.max(...values) : 1;
    const better = ctx.state.view === 'areas' ? MEASURES[prop].better : 'volume';
    const colors = palette(better);
    map.setPaintProperty('report-fill', 'fill-color', colorExpr(prop, min, max, colors, better === 'volume'));
    map.setPaintProperty('report-fill', 'fill-opacity', ctx.state.view === 'areas' ? 0.78 : 0.85);
    legend(min, max, colors, better === 'volume', values.length < data.features.length);
    ranking(better);
  }

  function legend(min, max, colors, volume, hasNoData) {
    const stops = colors.map((c, i) => `${c} ${(volume ? (i / (colors.length - 1)) ** 2 : i / (colors.length - 1)) * 100}%`);
    const label = ctx.state.view === 'areas' ? t('measure.' + prop) : t('planner.issuesPerCell');
    fill($('#legend'),
      h('div', {}, label),
      h('div', { class: 'ramp', style: { background: `linear-gradient(90deg, ${stops.join(',')})` } }),
      h('div', { class: 'ends' }, h('span', {}, fmtValue(prop, min)), h('span', {}, fmtValue(prop, max))),
      hasNoData ? h('div', { class: 'nodata' }, h('i'), t('planner.noData')) : null);
  }

  function ranking(better) {
    const rows = data.features.filter((f) => typeof f.properties[prop] === 'number');
    rows.sort((a, b) => (better === 'high' ? b.properties[prop] - a.properties[prop] : better === 'low' ? a.properties[prop] - b.properties[prop] : b.properties[prop] - a.properties[prop]));
    const top = rows.slice(0, 40);
    // bars from zero for counts; rates and hours from a little under the lowest
    // value, so that close figures still look different
    const vals = rows.map((f) => f.properties[prop]);
    const hi = Math.max(...vals, 1e-9);
    const lo = better === 'volume' ? 0 : Math.max(0, Math.min(...vals) - (hi - Math.min(...vals)) * 0.25);
    const width = (v) => Math.max(2, ((v - lo) / (hi - lo || 1)) * 100);
    $('#ranking-title').textContent = ctx.state.view === 'areas'
      ? t('planner.rankingAreas', { level: t('level.' + ctx.state.level), measure: t('measure.' + prop) })
      : t('planner.rankingHotspots');
    fill($('#ranking'),
      h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('planner.name')), h('th', { class: 'n' }, ctx.state.view === 'areas' ? t('measure.' + prop) : t('planner.issues')))),
      h('tbody', {}, top.map((f, i) => h('tr', { onclick: () => zoomTo(f) },
        h('td', {}, i + 1),
        h('td', {}, name(f.properties)),
        h('td', { class: 'n bar-cell', style: { '--c': '#22d3ee' } },
          h('i', { style: { width: `${width(f.properties[prop])}%` } }),
          h('span', {}, fmtValue(prop, f.properties[prop])))))));
  }

  function zoomTo(f) {
    const box = bboxOf([f]);
    if (box) map.fitBounds(box, { padding: 80, maxZoom: 15 });
    popup.setLngLat(centroid(f.geometry)).setDOMContent(popupContent(f.properties)).addTo(map);
  }

  return { load, request, repaint: () => (data.features.length ? paint() : null) };
}
