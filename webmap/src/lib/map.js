// MapLibre setup shared by the pages: the token on every same-origin request,
// the server's style (/style.json, which carries a configured basemap and the
// vector tile layers) or, when it does not answer, citymap's own layers drawn
// from GeoJSON (OGC API) on a plain background; and small layer helpers.
import { Map as MLMap, Marker, Popup, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { ogcItems, token } from './api.js';
import { handleErrors } from './basemap.js';

setWorkerUrl('/assets/maplibre-gl-worker.mjs');

export { Marker, Popup };

function sameOrigin(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

export function transformRequest(url) {
  if (!sameOrigin(url) || !token()) return { url };
  return { url, headers: { Authorization: 'Bearer ' + token() } };
}

// absolute resolves a style's relative URLs: tiles load in a worker, where a
// relative URL would resolve against the worker's script.
function absolute(u) {
  return typeof u === 'string' && !/^[a-z]+:/i.test(u) ? new URL(u, location.href).href : u;
}

function absolutize(style) {
  for (const src of Object.values(style.sources || {})) {
    if (src.url) src.url = absolute(src.url);
    if (Array.isArray(src.tiles)) src.tiles = src.tiles.map(absolute);
    if (typeof src.data === 'string') src.data = absolute(src.data);
  }
  if (typeof style.sprite === 'string') style.sprite = absolute(style.sprite);
  if (style.glyphs) style.glyphs = absolute(style.glyphs);
  return style;
}

const BACKGROUND = { dark: '#050b16', light: '#eef2f7' };

export function plainStyle(theme = 'dark') {
  return {
    version: 8,
    name: 'citymap-plain',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND[theme] || BACKGROUND.dark } }],
  };
}

// loadStyle asks the server for its style; tiled says whether it answered.
export async function loadStyle(theme = 'dark') {
  try {
    const res = await fetch(`/style.json?theme=${theme}`, { headers: { Authorization: 'Bearer ' + token() } });
    if (res.ok) return { style: absolutize(await res.json()), tiled: true };
  } catch {
    // no style: draw our own layers
  }
  return { style: plainStyle(theme), tiled: false };
}

// createMap makes a map and waits for its style to load.
export async function createMap(container, { theme = 'dark', bounds, interactive = true } = {}) {
  const { style, tiled } = await loadStyle(theme);
  const map = new MLMap({
    container,
    style,
    bounds,
    fitBoundsOptions: { padding: 24 },
    transformRequest,
    interactive,
    attributionControl: tiled ? { compact: true } : false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  handleErrors(map, style);
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  return { map, tiled };
}

export function addGeoJSON(map, id, data, layers, sourceOptions = {}) {
  map.addSource(id, { type: 'geojson', data: data || empty(), ...sourceOptions });
  for (const l of layers) map.addLayer({ source: id, ...l });
}

export function setData(map, id, data) {
  const src = map.getSource(id);
  if (src) src.setData(data);
}

export const empty = () => ({ type: 'FeatureCollection', features: [] });
export const collection = (features) => ({ type: 'FeatureCollection', features });

// hideStyleLayers hides the style's layers drawn from these tile layers (a page
// that draws them live itself).
export function hideStyleLayers(map, sourceLayers) {
  for (const l of map.getStyle().layers) {
    if (sourceLayers.includes(l['source-layer'])) map.setLayoutProperty(l.id, 'visibility', 'none');
  }
}

function eachCoord(geom, fn) {
  const walk = (c) => (typeof c[0] === 'number' ? fn(c) : c.forEach(walk));
  if (geom) walk(geom.coordinates);
}

export function bboxOf(features) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) {
    eachCoord(f.geometry, ([x, y]) => {
      b[0] = Math.min(b[0], x);
      b[1] = Math.min(b[1], y);
      b[2] = Math.max(b[2], x);
      b[3] = Math.max(b[3], y);
    });
  }
  return Number.isFinite(b[0]) ? b : null;
}

// centroid of a feature's largest polygon ring (area-weighted), or its point.
export function centroid(geom) {
  if (geom.type === 'Point') return geom.coordinates;
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  let best = null;
  let bestArea = -1;
  for (const poly of polys) {
    const c = ringCentroid(poly[0]);
    if (c && c.area > bestArea) {
      best = c;
      bestArea = c.area;
    }
  }
  return best ? [best.x, best.y] : null;
}

function ringCentroid(ring) {
  let a = 0;
  let x = 0;
  let y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f;
    x += (ring[j][0] + ring[i][0]) * f;
    y += (ring[j][1] + ring[i][1]) * f;
  }
  if (a === 0) return null;
  return { x: x / (3 * a), y: y / (3 * a), area: Math.abs(a / 2) };
}

// asPoints turns polygon features into points at their centroids (circle layers
// draw points only).
export function asPoints(fc) {
  return collection(fc.features.map((f) => ({ ...f, geometry: { type: 'Point', coordinates: centroid(f.geometry) } })));
}

// labels places HTML labels (no glyphs needed) at the features' centroids.
export function labels(map, features, className, text) {
  return features.map((f) => {
    const el = document.createElement('div');
    el.className = className;
    el.textContent = text(f);
    return new Marker({ element: el }).setLngLat(centroid(f.geometry)).addTo(map);
  });
}

// Labels drawn as map images (canvas text in the page's own fonts: no glyph
// server) take part in MapLibre's collision handling like any symbol, so that
// two labels never cover each other: a symbol layer with icon-allow-overlap
// false shows the ones that fit, in its symbol-sort-key order.
const LABEL_FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
const imageSizes = new WeakMap(); // map → image id → {w, h} in CSS pixels

// textImage adds (once) an image of text and returns its size in CSS pixels.
// bg draws a rounded box behind it, halo a dark outline around the letters.
export function textImage(map, id, text, { size = 14, weight = 600, color = '#ffffff', bg = null, border = null, halo = null } = {}) {
  let sizes = imageSizes.get(map);
  if (!sizes) imageSizes.set(map, (sizes = new Map()));
  if (map.hasImage(id) && sizes.has(id)) return sizes.get(id);
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const px = size * ratio;
  const font = `${weight} ${px}px ${LABEL_FONT}`;
  const c = document.createElement('canvas');
  let g = c.getContext('2d');
  g.font = font;
  const padX = bg ? px * 0.5 : px * 0.25;
  c.width = Math.ceil(g.measureText(text).width + 2 * padX);
  c.height = Math.ceil(px * 1.5);
  g = c.getContext('2d'); // resizing reset the context
  g.font = font;
  g.textBaseline = 'middle';
  g.textAlign = 'center';
  if (bg) {
    const lw = border ? Math.max(1, ratio) : 0;
    g.beginPath();
    g.roundRect(lw / 2, lw / 2, c.width - lw, c.height - lw, px * 0.3);
    g.fillStyle = bg;
    g.fill();
    if (border) {
      g.lineWidth = lw;
      g.strokeStyle = border;
      g.stroke();
    }
  }
  if (halo) {
    g.lineJoin = 'round';
    g.lineWidth = px * 0.25;
    g.strokeStyle = halo;
    g.strokeText(text, c.width / 2, c.height / 2);
  }
  g.fillStyle = color;
  g.fillText(text, c.width / 2, c.height / 2);
  if (map.hasImage(id)) map.removeImage(id);
  map.addImage(id, g.getImageData(0, 0, c.width, c.height), { pixelRatio: ratio });
  const box = { w: c.width / ratio, h: c.height / ratio };
  sizes.set(id, box);
  return box;
}

// symbolLabels draws the features' names as collision-handled image labels at
// their centroids (a street's name on the wall), in a symbol layer of its own.
export function symbolLabels(map, id, features, text, style) {
  const points = features.map((f, i) => {
    const label = text(f);
    const img = `${id}:${label}`;
    const { w, h } = textImage(map, img, label, style);
    return { type: 'Feature', id: i, properties: { img, label, w, h, rank: i },
      geometry: { type: 'Point', coordinates: centroid(f.geometry) } };
  });
  addGeoJSON(map, id, collection(points), [
    { id, type: 'symbol', layout: { 'icon-image': ['get', 'img'], 'icon-allow-overlap': false,
      'icon-ignore-placement': false, 'icon-padding': 2, 'symbol-sort-key': ['get', 'rank'] } },
  ]);
  return points;
}

export const POINT_COLOR = '#a78bfa';
const GRID_COLOR = '#1c3557';
export const PARKING_COLOR = '#2563eb';

// parkingIcon draws the blue "P" sign (an image: no glyphs needed).
function parkingIcon(fill) {
  const size = 40;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d');
  g.fillStyle = fill;
  g.strokeStyle = '#e0f2fe';
  g.lineWidth = 3;
  g.beginPath();
  g.roundRect(3, 3, size - 6, size - 6, 7);
  g.fill();
  g.stroke();
  g.fillStyle = '#ffffff';
  g.font = 'bold 26px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText('P', size / 2, size / 2 + 1);
  return g.getImageData(0, 0, size, size);
}

export function addParkingIcons(map) {
  if (!map.hasImage('parking-free')) map.addImage('parking-free', parkingIcon(PARKING_COLOR), { pixelRatio: 2 });
  if (!map.hasImage('parking-full')) map.addImage('parking-full', parkingIcon('#475569'), { pixelRatio: 2 });
}

const lineWidth = (w) => ['interpolate', ['linear'], ['zoom'], 9, w, 14, w * 2.5];

// addBaseLayers draws citymap's own layers (areas, grids, points, parking) from
// the OGC API, for when the server has no style — or, with fills false and a
// maxzoom, under the zoom where the server's tiles begin (grids, points and
// parking tiles start at z11; a wall shows the whole city below that). Returns
// what it loaded.
export async function addBaseLayers(map, { points = true, parking = true, fills = true, maxzoom = 24 } = {}) {
  const [areas, grids, pts, park] = await Promise.all([
    ogcItems('areas'),
    ogcItems('grids'),
    points ? ogcItems('points') : null,
    parking ? ogcItems('parking') : null,
  ]);
  const level = (l) => ['==', ['get', 'level'], l];
  if (fills) addGeoJSON(map, 'base-areas', areas, [
    { id: 'district-fill', type: 'fill', filter: level('district'), paint: { 'fill-color': '#0b1a31', 'fill-opacity': 0.9 } },
    { id: 'street-fill', type: 'fill', filter: level('street'), paint: { 'fill-color': ['case', ['==', ['%', ['to-number', ['get', 'code']], 2], 0], '#0d1f3a', '#0b1c35'], 'fill-opacity': 0.9 } },
  ]);
  addGeoJSON(map, 'base-grids', grids, [
    { id: 'grid-line', type: 'line', maxzoom, paint: { 'line-color': GRID_COLOR, 'line-width': lineWidth(0.5) } },
  ]);
  if (pts) {
    addGeoJSON(map, 'base-points', asPoints(pts), [
      { id: 'point-dot', type: 'circle', maxzoom, paint: {
        'circle-color': POINT_COLOR, 'circle-opacity': 0.45,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 1, 13, 3, 16, 5] } },
    ]);
  }
  if (park) {
    addParkingIcons(map);
    addGeoJSON(map, 'base-parking', asPoints(park), [
      { id: 'parking-icon', type: 'symbol', maxzoom, layout: {
        'icon-image': ['case', ['>', ['get', 'free'], 0], 'parking-free', 'parking-full'],
        'icon-size': ['interpolate', ['linear'], ['zoom'], 9, 0.3, 11, 0.45, 13, 0.8, 16, 1.1],
        'icon-allow-overlap': true, 'icon-ignore-placement': true } },
    ]);
  }
  return { areas, grids, points: pts, parking: park };
}

// addFrame outlines the city (a glowing district edge, streets, communities)
// from the areas' GeoJSON, over either kind of base map.
export function addFrame(map, areas, { communities = true } = {}) {
  const level = (l) => ['==', ['get', 'level'], l];
  addGeoJSON(map, 'frame', areas, [
    ...(communities ? [{ id: 'frame-community', type: 'line', filter: level('community'), minzoom: 10.5,
      paint: { 'line-color': '#2b4c7a', 'line-width': lineWidth(0.8), 'line-dasharray': [3, 2] } }] : []),
    { id: 'frame-street', type: 'line', filter: level('street'), paint: { 'line-color': '#4a79b8', 'line-width': lineWidth(1.4) } },
    { id: 'frame-glow', type: 'line', filter: level('district'), paint: { 'line-color': '#22d3ee', 'line-width': 8, 'line-opacity': 0.12, 'line-blur': 4 } },
    { id: 'frame-district', type: 'line', filter: level('district'), paint: { 'line-color': '#38bdf8', 'line-width': 2 } },
  ]);
}
