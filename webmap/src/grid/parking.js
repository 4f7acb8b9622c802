// Nearby parking: zones open to the public with a free space around the map's
// centre, nearest first (GET /api/v1/parking/available), listed and drawn.
import { get } from '../lib/api.js';
import { $, debounce, fill, h } from '../lib/dom.js';
import { fmtMetres, fmtTime } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { addGeoJSON, addParkingIcons, asPoints, centroid, empty, setData } from '../lib/map.js';

export function createParking(ctx) {
  const list = $('#parking-list');
  const radius = $('#parking-radius');
  let active = false;
  let seq = 0;

  addParkingIcons(ctx.map);
  addGeoJSON(ctx.map, 'parking-near', empty(), [
    { id: 'parking-near-icon', type: 'symbol', layout: { visibility: 'none', 'icon-image': 'parking-free',
      'icon-size': ['interpolate', ['linear'], ['zoom'], 11, 0.7, 16, 1.2], 'icon-allow-overlap': true } },
  ]);

  async function search() {
    if (!active) return;
    const mine = ++seq;
    const c = ctx.map.getCenter();
    const fc = await get('/api/v1/parking/available', { lon: c.lng.toFixed(6), lat: c.lat.toFixed(6), radius: radius.value, limit: 50 });
    if (mine !== seq) return;
    setData(ctx.map, 'parking-near', asPoints(fc));
    render(fc.features);
  }

  function render(features) {
    if (!features.length) {
      fill(list, h('li', { class: 'empty' }, t('grid.noParking')));
      return;
    }
    fill(list, features.map((f) => {
      const p = f.properties;
      const used = p.capacity ? Math.round((p.occupied / p.capacity) * 100) : 0;
      return h('li', { class: 'park', onclick: () => ctx.map.flyTo({ center: centroid(f.geometry), zoom: 16 }) },
        h('div', { class: 'park-head' }, h('span', { class: 'park-name' }, p.name),
          h('span', { class: 'park-free' }, t('grid.free', { n: p.free, cap: p.capacity }))),
        h('div', { class: 'park-bar' }, h('span', { style: { width: used + '%' } })),
        h('div', { class: 'park-meta' },
          h('span', {}, `${t('grid.kind.' + p.kind)} · ${fmtMetres(p.distance_m)}`),
          h('span', {}, p.closes_at ? t('grid.closesAt', { time: fmtTime(p.closes_at) }) : t('grid.openAllDay'))));
    }));
  }

  const refresh = debounce(() => search().catch((e) => fill(list, h('li', { class: 'empty' }, e.message))), 500);
  ctx.map.on('moveend', refresh);
  radius.addEventListener('change', refresh);

  return {
    show(on) {
      active = on;
      ctx.map.setLayoutProperty('parking-near-icon', 'visibility', on ? 'visible' : 'none');
      if (on) refresh();
    },
  };
}
