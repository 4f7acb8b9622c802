// The tiles two kinds of screen ask for, in headless Chromium, for
// scripts/measure-scale.sh (docs/SCALE.md): a wall display left running, and a
// grid manager's session that pans and zooms about its area. Prints one JSON
// line per session: the tile answers by layer and status (200 a tile, 204 an
// empty one, 304 the client's copy still good).
//
//   CITYMAP_E2E_URL      the server
//   CITYMAP_E2E_TOKENS   JSON {"viewer", "grid_manager"}
//   CITYMAP_WALL_SECONDS how long the wall runs (default 120)
//   CITYMAP_GRID_MOVES   pans and zooms of the grid session, one every 2 s (default 60)
//   CITYMAP_CHROMIUM     the browser (default /usr/bin/chromium)
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const WALL_MS = Number(env('CITYMAP_WALL_SECONDS', '120')) * 1000;
const MOVES = Number(env('CITYMAP_GRID_MOVES', '60'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// renders counts the server's tile renders and cache hits so far (/metrics):
// a miss is a render
async function renders() {
  const res = await fetch(`${BASE}/metrics`, { headers: { Authorization: `Bearer ${TOKENS.viewer}` } });
  const text = await res.text();
  const value = (name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1] || NaN);
  return { renders: value('citymap_tile_cache_misses_total'), hits: value('citymap_tile_cache_hits_total') };
}

const diff = (a, b) => ({ renders: b.renders - a.renders, hits: b.hits - a.hits });

// session opens a page and counts its tile answers by layer and status.
async function session(browser, path, token, viewport) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const tiles = {};
  page.on('response', (res) => {
    const m = new URL(res.url()).pathname.match(/^\/tiles\/([a-z]+)\/\d+\/\d+\/\d+\.mvt$/);
    if (!m) return;
    const t = (tiles[m[1]] ||= {});
    t[res.status()] = (t[res.status()] || 0) + 1;
  });
  await page.goto(`${BASE}${path}?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 180000 });
  return { context, page, tiles };
}

// pans and zooms the grid manager's map as a person going over their area
// does: rows of drags of a third of the screen, east then back west a row
// further south, and a zoom in and out again every tenth move. It stops after
// moves, or when the moves take more than three times their 2 s each (a
// loaded machine).
async function wander(page, moves) {
  const box = await page.locator('#map').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const d = Math.min(box.width, box.height) / 3;
  const deadline = Date.now() + moves * 6000;
  let done = 0;
  for (let i = 0; i < moves && Date.now() < deadline; i++, done++) {
    await page.mouse.move(cx, cy);
    if (i % 10 === 8 || i % 10 === 9) {
      await page.mouse.wheel(0, i % 10 === 8 ? -500 : 500);
    } else {
      const row = Math.floor(i / 6);
      // dragging the map west shows what lies east
      const [dx, dy] = i % 6 === 5 ? [0, -d] : [row % 2 ? d : -d, 0];
      await page.mouse.down();
      await page.mouse.move(cx + dx, cy + dy, { steps: 4 });
      await page.mouse.up();
    }
    await sleep(2000);
  }
  return done;
}

const browser = await chromium.launch({
  executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
  args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  let before = await renders();
  const wall = await session(browser, '/wall', TOKENS.viewer, { width: 1920, height: 1080 });
  await sleep(5000);
  const wallLoaded = { tiles: structuredClone(wall.tiles), server: diff(before, await renders()) };
  await sleep(WALL_MS);
  console.log(JSON.stringify({ session: 'wall', seconds: WALL_MS / 1000, loaded: wallLoaded, tiles: wall.tiles, server: diff(before, await renders()) }));
  await wall.context.close();

  before = await renders();
  const grid = await session(browser, '/grid', TOKENS.grid_manager, { width: 1280, height: 800 });
  await sleep(5000);
  const gridLoaded = { tiles: structuredClone(grid.tiles), server: diff(before, await renders()) };
  const t0 = Date.now();
  const moves = await wander(grid.page, MOVES);
  console.log(JSON.stringify({ session: 'grid', moves, seconds: Math.round((Date.now() - t0) / 1000), loaded: gridLoaded, tiles: grid.tiles, server: diff(before, await renders()) }));
  await grid.context.close();
} finally {
  await browser.close();
}
