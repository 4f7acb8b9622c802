// The wall at a real city's pace, in headless Chromium: four walls at once
// (1920×1080, 3840×2160, 5760×1080, 7680×2160, each its own page) while new
// cases are reported through the intake API (POST /api/v1/issues) at a steady
// rate, then the city's midnight crossed on the page's clock. Run by the Go
// test webmap/browsertest (TestWallLoad) and by scripts/bench-wall.sh (the
// soak), with:
//
//   CITYMAP_E2E_URL        the server
//   CITYMAP_E2E_TOKENS     JSON {"viewer", "admin"}
//   CITYMAP_E2E_POINTS     JSON [[lon, lat], …]: where cases are reported (inside the city)
//   CITYMAP_E2E_CATEGORIES JSON ["code", …]
//   CITYMAP_WALL_SECONDS   how long cases arrive (default 120)
//   CITYMAP_WALL_RATE      cases a second (default 10)
//   CITYMAP_WALL_SIZES     e.g. "1920x1080,7680x2160" (default the four)
//   CITYMAP_WALL_SAMPLE_S  seconds between samples (default 10)
//   CITYMAP_WALL_OPEN_S    each case is set aside (rejected, 作废) this many seconds
//                          after it came (default 60): a city closes about as many
//                          cases as it gets, so the open cases stay about as many
//                          (RATE × OPEN_S of the load's own) and what the heap
//                          holds for them does not grow; 0 keeps them all open
//   CITYMAP_WALL_ROLLOVER  "0" skips the midnight check (the soak)
//   CITYMAP_WALL_SERIES    where the samples go, as CSV (optional)
//   CITYMAP_WALL_BASEMAP_DOWN  the origin of a configured basemap that cannot be
//                          reached: its failed tiles are expected, and the wall
//                          must show it tried them and went on
//   CITYMAP_E2E_SCREENSHOTS, CITYMAP_E2E_RESULT, CITYMAP_CHROMIUM as for e2e.mjs
//
// Each sample checks, from the rendered page: no text clipped (scrollWidth ≤
// clientWidth of every counter, label, title and feed row, a deliberate
// ellipsis aside), the feed's rows inside its panel and fully opaque, no two
// map labels' boxes overlapping (the symbols MapLibre placed, from
// queryRenderedFeatures, with their image sizes at their projected anchors),
// no two chart labels' boxes overlapping (ECharts' drawn text elements), and
// records the JS heap after a collection (CDP) and the DOM's size. At the end:
// the heap of the last third of the run is not above the first third's (with
// slack), the counter counted every case, and no console error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const POINTS = JSON.parse(env('CITYMAP_E2E_POINTS', '[]'));
const CATEGORIES = JSON.parse(env('CITYMAP_E2E_CATEGORIES', '[]'));
const SECONDS = Number(env('CITYMAP_WALL_SECONDS', '120'));
const RATE = Number(env('CITYMAP_WALL_RATE', '10'));
const SAMPLE_MS = Number(env('CITYMAP_WALL_SAMPLE_S', '10')) * 1000;
const OPEN_MS = Number(env('CITYMAP_WALL_OPEN_S', '60')) * 1000;
const SIZES = env('CITYMAP_WALL_SIZES', '1920x1080,3840x2160,5760x1080,7680x2160').split(',').map((s) => {
  const [width, height] = s.split('x').map(Number);
  return { name: s, width, height };
});
const ROLLOVER = env('CITYMAP_WALL_ROLLOVER', '1') !== '0';
const SERIES = env('CITYMAP_WALL_SERIES', '');
const BASEMAP_DOWN = env('CITYMAP_WALL_BASEMAP_DOWN', '');
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');
// the heap may wander (caches fill, the collector's timing), but not climb:
// the last third's mean may exceed the first third's by this much at most
const HEAP_SLACK = 1.25;
const HEAP_SLACK_MB = 6;

const results = { walls: {}, feed: {}, checks: {}, failures: [] };
const series = [];

function fail(what, message) {
  if (results.failures.length < 200) results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
}

async function openWall(browser, size) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  const basemapDown = (m) => BASEMAP_DOWN && (m.location().url || '').startsWith(BASEMAP_DOWN + '/') && /Failed to load resource/.test(m.text());
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    if (m.type() === 'error' && !basemapDown(m) && !(/status of 404/.test(m.text()) && /\/style\.json/.test(m.location().url))) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(`${BASE}/wall?token=${encodeURIComponent(TOKENS.viewer)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 180000 }); // four big walls start at once on a small machine
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') throw new Error(`${size.name}: the wall did not start`);
  await page.waitForSelector('#conn[data-state=live]', { timeout: 60000 });
  await page.evaluate(() => { window.__notReloaded = true; });
  const cdp = await context.newCDPSession(page);
  return { size, context, page, cdp, errors, warnings, samples: [] };
}

// inspect runs in the page: what a person in front of the wall would see.
// Labels are judged where they come to rest: it waits (3 s at most) for the
// charts' animations to end.
async function inspect() {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const still = () => ['#chart-category', '#chart-street'].every((sel) => document.querySelector(sel).chart.getZr().animation.isFinished());
  await frame(); // an update set lazily is drawn on the next frame
  await frame();
  for (let i = 0; i < 60 && !still(); i++) await new Promise((r) => setTimeout(r, 50));
  const problems = [];
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b, tol = 0.5) => a.x1 < b.x2 - tol && b.x1 < a.x2 - tol && a.y1 < b.y2 - tol && b.y1 < a.y2 - tol;
  // text clipped: every element of text the wall shows of itself
  const texts = document.querySelectorAll(['.brand h1', '#clock-time', '#clock-day', '.conn-text', '.counter-value', '.counter-label',
    '.panel-title > span', '.panel-title > small', '.task-count', '.decl-value', '.decl-label', '.legend .row', '#ticker li', '#ticker li > span', '.overdue-list .late',
    '.updated'].join(','));
  let ellipsis = 0;
  for (const el of texts) {
    const cs = getComputedStyle(el);
    if (cs.display === 'inline' || !el.textContent.trim()) continue;
    if (cs.textOverflow === 'ellipsis') {
      if (el.scrollWidth > el.clientWidth) ellipsis++;
      continue;
    }
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`clipped: ${el.id || el.className || el.tagName} "${el.textContent.slice(0, 30)}" ${el.scrollWidth} > ${el.clientWidth}`);
    const r = box(el);
    if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1 || r.left < -1 || r.top < -1) problems.push(`off screen: ${el.className} "${el.textContent.slice(0, 30)}"`);
  }
  for (const el of document.querySelectorAll('.counter-value, .decl-value')) {
    const r = box(el);
    const c = box(el.closest('.counter, .decl-count'));
    if (r.left < c.left - 1 || r.right > c.right + 1) problems.push(`counter out of its box: "${el.textContent}"`);
  }
  // the live feed: each row inside the panel and fully opaque
  const panel = box(document.querySelector('.ticker'));
  const rows = [...document.querySelectorAll('#ticker li')];
  for (const li of rows) {
    const r = box(li);
    if (r.top < panel.top - 1 || r.bottom > panel.bottom + 1 || r.left < panel.left - 1 || r.right > panel.right + 1) {
      problems.push(`feed row outside its panel: "${li.textContent.slice(0, 30)}"`);
    }
    for (let el = li; el && el !== document.body; el = el.parentElement) {
      const o = getComputedStyle(el).opacity;
      if (o !== '1') {
        problems.push(`feed row not opaque (${o}): "${li.textContent.slice(0, 30)}"`);
        break;
      }
    }
    if (r.height < 4 || getComputedStyle(li).visibility !== 'visible') problems.push(`feed row hidden: "${li.textContent.slice(0, 30)}"`);
  }
  const summary = document.querySelector('#ticker li.summary');
  // map labels: the symbols MapLibre placed, as boxes on the screen
  const mapEl = document.querySelector('#map');
  const map = mapEl.map;
  const labels = map.queryRenderedFeatures({ layers: ['pulse-label', 'area-label'] });
  // a new case's label lies beside its dot (icon-anchor left or right, offset by the gap), a street's on its point
  const gap = parseFloat(getComputedStyle(document.documentElement).fontSize) * 1.1;
  const boxes = labels.map((f) => {
    const p = map.project(f.geometry.coordinates);
    const { w, h, anchor } = f.properties;
    const x1 = f.layer.id !== 'pulse-label' ? p.x - w / 2 : anchor === 'right' ? p.x - gap - w : p.x + gap;
    return { id: `${f.layer.id}:${f.properties.issue || f.properties.label}`, x1, x2: x1 + w, y1: p.y - h / 2, y2: p.y + h / 2 };
  });
  // a new case's label is not cut by the map's edge nor under the legend or the feed
  const m = mapEl.getBoundingClientRect();
  const covers = ['#legend', '.ticker'].map((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return { x1: r.left - m.left, y1: r.top - m.top, x2: r.right - m.left, y2: r.bottom - m.top };
  });
  for (const b of boxes.filter((b) => b.id.startsWith('pulse-label'))) {
    if (b.x1 < -0.5 || b.y1 < -0.5 || b.x2 > m.width + 0.5 || b.y2 > m.height + 0.5) problems.push(`map label cut by the map's edge: ${b.id}`);
    if (covers.some((c) => overlap(b, c))) problems.push(`map label under a panel: ${b.id}`);
  }
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (overlap(boxes[i], boxes[j])) {
        overlaps++;
        if (overlaps <= 3) problems.push(`map labels overlap: ${boxes[i].id} and ${boxes[j].id}`);
      }
    }
  }
  const pulseLabels = labels.filter((f) => f.layer.id === 'pulse-label').length;
  // chart labels: the text elements ECharts drew (not hidden by its label layout)
  let chartLabels = 0;
  for (const sel of ['#chart-category', '#chart-street']) {
    const zr = document.querySelector(sel).chart.getZr();
    // a text is drawn as spans (one per line or rich-text token); the display
    // list holds what is drawn, without what ECharts' label layout hid
    const shown = (el) => !el.invisible && (el.style.opacity ?? 1) > 0 && (!el.parent || ((el.parent.style?.opacity ?? 1) > 0 && !el.parent.invisible));
    const drawn = zr.storage.getDisplayList().filter((el) => el.type === 'tspan' && el.style
      && String(el.style.text ?? '').trim() !== '' && shown(el));
    const rects = drawn.map((el) => {
      const r = el.getBoundingRect().clone();
      const m = el.getComputedTransform();
      if (m) r.applyTransform(m);
      return { id: String(el.style.text).slice(0, 20), x1: r.x, y1: r.y, x2: r.x + r.width, y2: r.y + r.height };
    });
    chartLabels += rects.length;
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        if (overlap(rects[i], rects[j], 1)) problems.push(`${sel} labels overlap: "${rects[i].id}" and "${rects[j].id}"`);
      }
    }
  }
  return {
    problems,
    ellipsis,
    counter: document.querySelector('#count-new').textContent,
    feedRows: rows.length,
    summary: summary ? summary.textContent : null,
    pulses: mapEl.pulses.size,
    pulseLabels,
    mapLabels: boxes.length,
    chartLabels,
    dom: document.getElementsByTagName('*').length,
    day: document.querySelector('#clock-day').textContent,
  };
}

async function sample(w, t0) {
  const seen = await w.page.evaluate(inspect);
  await w.cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await w.cdp.send('Runtime.getHeapUsage');
  const s = { t: Math.round((Date.now() - t0) / 1000), heapMB: +(usedSize / 2 ** 20).toFixed(1), ...seen };
  w.samples.push(s);
  series.push({ wall: w.size.name, t: s.t, heap_mb: s.heapMB, dom: s.dom, counter: s.counter, pulses: s.pulses, pulse_labels: s.pulseLabels, feed_rows: s.feedRows });
  for (const p of seen.problems) fail(w.size.name, `at ${s.t} s: ${p}`);
  if (seen.problems.length && !w.shotProblem) {
    w.shotProblem = true; // what the failure looked like
    await w.page.screenshot({ path: join(SHOTS, `wall-load-${w.size.name}-problem.png`), timeout: 120000 }).catch(() => {});
  }
  return s;
}

// feed reports cases at RATE a second through the intake API until stopped.
function feed() {
  const state = { sent: 0, failed: 0, setAside: 0, lateMs: 0, stop: false };
  const started = Date.now();
  const open = []; // [id, when reported], oldest first
  const call = async (path, body) => {
    const res = await fetch(`${BASE}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKENS.admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    return res.ok ? json : null;
  };
  const setAside = async () => {
    while (OPEN_MS && open.length && open[0][1] < Date.now() - OPEN_MS) {
      const [id] = open.shift();
      if (await call(`/api/v1/issues/${id}/actions`, { action: 'reject', note: '大屏压测：作废' }).catch(() => null)) state.setAside++;
      else state.failed++;
    }
  };
  const one = async (i) => {
    const [lon, lat] = POINTS[i % POINTS.length];
    try {
      const created = await call('/api/v1/issues', { category: CATEGORIES[i % CATEGORIES.length], source: 'hotline_12345',
        description: `大屏压测 ${i}`, location: { type: 'Point', coordinates: [lon, lat] } });
      if (created) {
        state.sent++;
        open.push([created.id, Date.now()]);
      } else state.failed++;
    } catch {
      state.failed++;
    }
    await setAside();
  };
  state.done = (async () => {
    const inflight = new Set();
    for (let i = 0; !state.stop; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else state.lateMs = Math.max(state.lateMs, -wait);
      if (state.stop) break;
      const p = one(i).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  })();
  return state;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function judge(w) {
  const heaps = w.samples.map((s) => s.heapMB);
  const third = Math.max(1, Math.floor(heaps.length / 3));
  const first = mean(heaps.slice(0, third));
  const last = mean(heaps.slice(-third));
  if (heaps.length >= 3 && last > first * HEAP_SLACK + HEAP_SLACK_MB) fail(w.size.name, `JS heap grows: ${first.toFixed(1)} MB in the first third, ${last.toFixed(1)} MB in the last`);
  const doms = w.samples.map((s) => s.dom);
  const r = {
    samples: w.samples.length,
    heap_mb: { first_third: +first.toFixed(1), last_third: +last.toFixed(1), min: Math.min(...heaps), max: Math.max(...heaps) },
    dom: { min: Math.min(...doms), max: Math.max(...doms) },
    pulse_labels_max: Math.max(...w.samples.map((s) => s.pulseLabels)),
    map_labels_max: Math.max(...w.samples.map((s) => s.mapLabels)),
    chart_labels_max: Math.max(...w.samples.map((s) => s.chartLabels)),
    summary: w.samples.at(-1).summary,
    ellipsized_max: Math.max(...w.samples.map((s) => s.ellipsis)),
  };
  if (!r.pulse_labels_max) fail(w.size.name, 'no new case was ever labelled on the map');
  if (!r.chart_labels_max) fail(w.size.name, 'no chart label was drawn');
  if (Math.max(...doms) > Math.min(...doms) * 1.2 + 50) fail(w.size.name, `DOM grows: ${Math.min(...doms)} → ${Math.max(...doms)} elements`);
  return r;
}

const number = (s) => Number(String(s).replace(/\D/g, '')) || 0;

// rollover moves the page's clock to three seconds before the city's next
// midnight (China Standard Time: the test server's zone) and expects today's
// counters and charts to start again, without a reload.
async function rollover(w) {
  const DAY = 86400000;
  const OFFSET = 8 * 3600000;
  const nextMidnight = Math.floor((Date.now() + OFFSET) / DAY + 1) * DAY - OFFSET;
  const before = await w.page.evaluate(() => document.querySelector('#clock-day').textContent);
  await w.page.evaluate((ms) => window.citymapClock.set(ms), nextMidnight - 3000 - Date.now());
  try {
    await w.page.waitForFunction((day) => {
      const c = document.querySelector('#chart-category').chart.getOption();
      const todays = c.series && c.series[0] ? c.series[0].data : [];
      return document.querySelector('#clock-day').textContent !== day
        && document.querySelector('#count-new').textContent === '0'
        && document.querySelector('#count-closed').textContent === '0'
        && todays.every((v) => Number(v) === 0);
    }, before, { timeout: 15000 });
    if (!(await w.page.evaluate(() => window.__notReloaded === true))) fail(w.size.name, 'the page reloaded to turn the day');
    results.checks[`rollover_${w.size.name}`] = `${before} → ${await w.page.evaluate(() => document.querySelector('#clock-day').textContent)}: counters 0, today's chart empty, no reload`;
  } catch {
    const got = await w.page.evaluate(() => ({ day: document.querySelector('#clock-day').textContent, n: document.querySelector('#count-new').textContent }));
    fail(w.size.name, `midnight crossed, but the wall still shows ${JSON.stringify(got)}`);
  }
  await w.page.evaluate(() => window.citymapClock.set(0));
}

// basemapWasTried: the style drew the basemap's layer, its tiles failed (the
// page said so, once, as a warning) and the wall went on regardless.
async function basemapWasTried(w) {
  const layers = await w.page.evaluate(() => {
    const map = document.querySelector('#map').map;
    const ids = map.getStyle().metadata?.['citymap:basemap'] || [];
    return ids.filter((id) => map.getLayer(id));
  });
  if (!layers.length) fail(w.size.name, 'the style has no basemap layer');
  const said = w.warnings.filter((m) => /basemap unavailable/.test(m)).length;
  if (said !== 1) fail(w.size.name, `the unreachable basemap was reported ${said} times, want once`);
  else results.checks[`basemap_down_${w.size.name}`] = `basemap ${layers.join(', ')} unreachable: one warning, the wall went on`;
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // four walls share the machine: none is a "background" page to be slowed down
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  try {
    const walls = await Promise.all(SIZES.map((s) => openWall(browser, s)));
    const startCount = Object.fromEntries(await Promise.all(walls.map(async (w) => [w.size.name, number(await w.page.evaluate(() => document.querySelector('#count-new').textContent))])));
    const t0 = Date.now();
    const f = feed();
    setTimeout(() => (f.stop = true), SECONDS * 1000);
    let finished = false;
    f.done.then(() => (finished = true));
    for (let next = t0 + SAMPLE_MS; !finished; next += SAMPLE_MS) {
      while (!finished && Date.now() < next) await new Promise((r) => setTimeout(r, 200));
      if (finished) break;
      // the pages one after another: sampling them at once would stall them all
      for (const w of walls) await sample(w, t0);
      next = Math.max(next, Date.now() - SAMPLE_MS / 2);
    }
    await f.done;
    results.feed = { sent: f.sent, set_aside: f.setAside, failed: f.failed, seconds: SECONDS, rate: RATE, open_s: OPEN_MS / 1000, max_late_ms: Math.round(f.lateMs) };
    if (f.failed) fail('feed', `${f.failed} of ${f.sent + f.failed} reports failed`);
    for (const w of walls) {
      const want = startCount[w.size.name] + f.sent;
      try {
        await w.page.waitForFunction((n) => Number(document.querySelector('#count-new').textContent.replace(/\D/g, '')) >= n, want, { timeout: 30000 });
      } catch {
        fail(w.size.name, `counter shows ${await w.page.evaluate(() => document.querySelector('#count-new').textContent)}, want ${want}`);
      }
      await sample(w, t0);
      await w.page.screenshot({ path: join(SHOTS, `wall-load-${w.size.name}.png`), timeout: 180000 })
        .catch((err) => console.warn(`${w.size.name}: no screenshot: ${err.message.split('\n')[0]}`));
      results.walls[w.size.name] = judge(w);
    }
    if (ROLLOVER) for (const w of walls) await rollover(w);
    if (BASEMAP_DOWN) for (const w of walls) await basemapWasTried(w);
    for (const w of walls) {
      for (const e of w.errors.slice(0, 5)) fail(w.size.name, `console: ${e}`);
      await w.context.close();
    }
  } finally {
    await browser.close();
  }
  if (SERIES) {
    const cols = ['wall', 't', 'heap_mb', 'dom', 'counter', 'pulses', 'pulse_labels', 'feed_rows'];
    writeFileSync(SERIES, [cols.join(','), ...series.map((s) => cols.map((c) => JSON.stringify(s[c])).join(','))].join('\n') + '\n');
  }
  const summary = JSON.stringify(results, null, 2);
  if (RESULT) writeFileSync(RESULT, summary);
  console.log(summary);
  process.exit(results.failures.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
