// The wall's map (MapLibre): the city framed, every open issue by status, the
// new ones pulsing with their label, the legend, and the parking kept current.
import { rem } from '../lib/charts.js';
import { now } from '../lib/clock.js';
import { $, fill, h } from '../lib/dom.js';
import { statusName, t } from '../lib/i18n.js';
import { addBaseLayers, addFrame, addGeoJSON, asPoints, bboxOf, collection, createMap, hideStyleLayers, PARKING_COLOR, POINT_COLOR, setData, symbolLabels, textImage } from '../lib/map.js';
import { ACCENT, colorOf, OVERDUE, STATUS_COLORS, statusColor } from '../lib/theme.js';
import { OPEN } from '../lib/workflow.js';
import { names } from './names.js';
import { labelSide } from './pulses.js';

const RING_MS = 1800; // one ring's journey out of a new issue's dot
const RING_FRAME_MS = 150; // the rings move at ~7 frames a second: a big wall repaints its whole map each time
// The map's data changes at most every MAP_MS: each change re-tiles its
// source in the worker and repaints the whole map, which on a 8K wall costs
// more than a fraction of a second.
export const MAP_MS = 1000;
const MAX_PARKING = 5000;
const PARKING_MS = 2000;

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

export class WallMap {
  constructor(pulses) {
    this.pulses = pulses;
    this.map = null;
    this.bounds = null;
    this.parking = null; // the parking collection (plain style only), kept for live updates
    this.parkingTimer = 0;
    this.at = 0; // when the issues were last drawn
    this.timer = 0;
    this.data = null;
    this.ringDrawn = true;
  }

  async setup() {
    const { map, tiled } = await createMap($('#map'), { theme: 'dark', interactive: false });
    this.map = map;
    if (tiled) hideStyleLayers(map, ['issues']);
    const { areas, parking } = await addBaseLayers(map, tiled ? { fills: false, maxzoom: 11 } : {});
    this.parking = parking;
    addFrame(map, areas);
    const district = areas.features.find((f) => f.properties.level === 'district');
    const streets = areas.features.filter((f) => f.properties.level === 'street');
    for (const f of streets) names.streets.set(f.properties.code, f.properties.name);
    $('#city-name').textContent = district ? district.properties.name : '';
    this.bounds = bboxOf(district ? [district] : areas.features);
    if (this.bounds) map.fitBounds(this.bounds, { padding: 30, duration: 0 });
    addIssueLayers(map);
    // the streets' names over everything and placed first: new cases' labels keep clear of them
    const labels = symbolLabels(map, 'area-label', streets, (f) => f.properties.name,
      { size: rem() * 0.85, color: '#cfe3ff', halo: '#000000' });
    $('#map').labels = labels.map((f) => f.properties.label);
    $('#map').map = map; // for the browser tests: rendered features and their boxes
    $('#map').pulses = this.pulses.items;
    addEventListener('resize', () => {
      if (this.bounds) map.fitBounds(this.bounds, { padding: 30, duration: 0 });
      this.pulses.dirty = true;
    });
    setInterval(() => this.animateRings(), RING_FRAME_MS);
  }

  // animateRings moves the two rings of every new case out of its dot, half a
  // journey apart; with no new case (or reduced motion) the map is left still.
  // A step waits for the map to have drawn the last one: a wall whose machine
  // draws slowly gets fewer steps, not a queue of them.
  animateRings() {
    if (!this.map || !this.pulses.size || !this.ringDrawn) return;
    this.ringDrawn = false;
    this.map.once('render', () => (this.ringDrawn = true));
    const size = rem();
    for (const i of [0, 1]) {
      const phase = reducedMotion.matches ? 0.3 : ((now() / RING_MS) + i / 2) % 1;
      this.map.setPaintProperty(`pulse-ring-${i}`, 'circle-radius', size * 0.55 * (1 + 3.5 * phase));
      this.map.setPaintProperty(`pulse-ring-${i}`, 'circle-stroke-opacity', 0.95 * (1 - phase));
    }
  }

  // schedule draws the open issues, no sooner than MAP_MS after the last time.
  schedule(features) {
    this.data = features;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.at = now();
      setData(this.map, 'live-issues', collection(this.data));
      this.data = null;
      this.pulses.dirty = true;
      this.renderPulses();
    }, Math.max(0, this.at + MAP_MS - now()));
  }

  // renderPulses drops the expired and draws the rest, newest first.
  renderPulses() {
    if (!this.map) return;
    this.pulses.expire(now());
    if (!this.pulses.dirty) return;
    this.pulses.dirty = false;
    const keepOut = overlays();
    const gap = rem() * 1.1;
    const features = [...this.pulses.values()].map(({ feature: f, n }) => {
      const label = this.pulseLabel(f.properties.category);
      const side = labelSide(this.map.project(f.geometry.coordinates), label, gap, keepOut);
      const props = { issue: String(f.id), order: -n, color: colorOf(f.properties) };
      if (side) Object.assign(props, { img: label.img, w: label.w, h: label.h, anchor: side });
      return { type: 'Feature', id: n, geometry: f.geometry, properties: props };
    });
    setData(this.map, 'pulses', collection(features));
  }

  pulseLabel(category) {
    const text = t('wall.newIssue', { cat: names.cat(category) });
    const size = rem() * 1.05;
    const img = `pulse:${size}:${text}`; // one image per label and type size (a wall resized)
    const { w, h } = textImage(this.map, img, text, { size, bg: '#0e7490e6', border: ACCENT });
    return { img, w, h };
  }

  onParking(change) {
    if (!this.parking || !change.feature) return;
    const list = this.parking.features;
    const i = list.findIndex((f) => String(f.id) === String(change.id));
    if (i >= 0) list[i] = change.feature;
    else if (list.length < MAX_PARKING) list.push(change.feature);
    if (this.parkingTimer) return;
    this.parkingTimer = setTimeout(() => {
      this.parkingTimer = 0;
      setData(this.map, 'base-parking', asPoints(this.parking));
    }, PARKING_MS);
  }
}

function addIssueLayers(map) {
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

export function legend() {
  const row = (color, label, cls = '') => h('div', { class: 'row' }, h('span', { class: `sw ${cls}`, style: { '--c': color } }), label);
  fill($('#legend'),
    row(ACCENT, t('wall.legendNew'), 'ring'),
    ...OPEN.map((s) => row(STATUS_COLORS[s], statusName(s))),
    row(OVERDUE, t('status.overdue')),
    row(POINT_COLOR, t('layer.points')),
    row(PARKING_COLOR, t('layer.parking'), 'sq'));
}
