// The wall's 网上申报 row in headless Chromium: walls of every shape (1920×1080,
// 3840×2160, 5760×1080, 7680×2160, each its own page) show how many
// declarations are overdue, due within 3 days and within 7, as the API
// counts them; the test then moves its own declarations — one due in five
// days is brought to two days and POST /api/v1/declarations/open announces
// the crossing, one overdue is accepted through the API — and every wall's
// counts follow without a reload, the feed shows "申报提醒 · 单位 · 指标 ·
// 3天内到期", and the numbers and labels fit their boxes, the row lies inside
// the left column over nothing else, and the feed keeps its six rows. Run by
// the Go test webmap/browsertest (TestWallDeclarations) with:
//
//   CITYMAP_E2E_URL      the server
//   CITYMAP_E2E_TOKENS   JSON {"viewer", "admin"}
//   CITYMAP_E2E_SOON     the id of the test's declaration due in five days
//   CITYMAP_E2E_LATE     the id of the test's overdue declaration
//   CITYMAP_E2E_HOOK     the Go test's own server: POST /move?id= brings a
//                        declaration's deadline to two days from now (no API
//                        moves a deadline; time would)
//   CITYMAP_WALL_SIZES   e.g. "1920x1080" (default the four)
//   CITYMAP_E2E_SCREENSHOTS, CITYMAP_E2E_RESULT, CITYMAP_CHROMIUM as for e2e.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const SOON = Number(env('CITYMAP_E2E_SOON'));
const LATE = Number(env('CITYMAP_E2E_LATE'));
const HOOK = env('CITYMAP_E2E_HOOK');
const SIZES = env('CITYMAP_WALL_SIZES', '1920x1080,3840x2160,5760x1080,7680x2160').split(',').map((s) => {
  const [width, height] = s.split('x').map(Number);
  return { name: s, width, height };
});
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');
const DUES = ['overdue', '3d', '7d'];

const results = { checks: {}, failures: [] };

function fail(what, message) {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
}

function check(name, ok, message) {
  results.checks[name] = ok;
  if (!ok) fail(name, message);
}

async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${TOKENS.admin}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// counts are the API's, read with the wall's own token: {overdue, 3d, 7d}
// and the ids of each list.
async function counts() {
  const out = { ids: {} };
  for (const due of DUES) {
    const res = await fetch(`${BASE}/api/v1/declarations?due=${due}&limit=2000`, { headers: { Authorization: `Bearer ${TOKENS.viewer}` } });
    if (!res.ok) throw new Error(`the wall's token reads declarations?due=${due}: ${res.status}`);
    const { total, declarations } = await res.json();
    out[due] = total;
    out.ids[due] = declarations.map((d) => d.id);
  }
  return out;
}

async function openWall(browser, size) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !(/status of 404/.test(m.text()) && /\/style\.json/.test(m.location().url))) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(`${BASE}/wall?token=${encodeURIComponent(TOKENS.viewer)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 180000 });
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') throw new Error(`${size.name}: the wall did not start`);
  await page.waitForSelector('#conn[data-state=live]', { timeout: 60000 });
  await page.evaluate(() => { window.__notReloaded = true; });
  return { size, context, page, errors };
}

const shown = (w) => w.page.evaluate((dues) => Object.fromEntries(dues.map((d) =>
  [d, Number(document.querySelector(`#count-decl-${d}`).textContent.replace(/\D/g, '') || NaN)])), DUES);

// matches waits until a wall shows want's counts.
async function matches(w, want, what) {
  try {
    await w.page.waitForFunction(({ dues, want }) => dues.every((d) =>
      Number(document.querySelector(`#count-decl-${d}`).textContent.replace(/\D/g, '')) === want[d]), { dues: DUES, want }, { timeout: 20000 });
    return true;
  } catch {
    fail(`${w.size.name} ${what}`, `the wall shows ${JSON.stringify(await shown(w))}, the API ${JSON.stringify(Object.fromEntries(DUES.map((d) => [d, want[d]])))}`);
    return false;
  }
}

// layout runs in the page: the row's numbers and labels fit their boxes, the
// panel lies inside the left column and over none of its other panels, and
// the feed holds at most its six rows.
function layout() {
  const problems = [];
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const el of document.querySelectorAll('.panel-decl .panel-title, .decl-value, .decl-label')) {
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`clipped: ${el.id || el.className} "${el.textContent}" ${el.scrollWidth} > ${el.clientWidth}`);
  }
  for (const el of document.querySelectorAll('.decl-value')) {
    const r = box(el);
    const c = box(el.closest('.decl-count'));
    if (r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1) problems.push(`number out of its box: ${el.id}`);
  }
  const panel = box(document.querySelector('.panel-decl'));
  const column = box(document.querySelector('.wall-left'));
  if (panel.left < column.left - 1 || panel.right > column.right + 1 || panel.bottom > column.bottom + 1 || panel.bottom > innerHeight) {
    problems.push('the panel leaves its column');
  }
  if (panel.height < 10) problems.push('the panel is not shown');
  for (const sel of ['.counters', '.panel-list', '.panel-tasks']) {
    if (overlap(panel, box(document.querySelector(sel)))) problems.push(`the panel lies over ${sel}`);
  }
  const rows = document.querySelectorAll('#ticker li').length;
  if (rows > 6) problems.push(`the feed holds ${rows} rows`);
  // the overdue list keeps room for a row at least
  const list = document.querySelector('#overdue li');
  if (list && box(list).height < 8) problems.push('the overdue list has no room left');
  return problems;
}

async function inspect(walls, what) {
  for (const w of walls) {
    const problems = await w.page.evaluate(layout);
    check(`${w.size.name} ${what} fits`, problems.length === 0, problems.join('; '));
  }
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  try {
    const walls = [];
    for (const s of SIZES) walls.push(await openWall(browser, s)); // one after another: the machine is small
    // the start: the wall's counts are the API's, the test's own among them
    let want = await counts();
    check('api lists the test declarations', want.ids['7d'].includes(SOON) && !want.ids['3d'].includes(SOON) && want.ids.overdue.includes(LATE),
      `7d ${want.ids['7d'].includes(SOON)}, 3d ${want.ids['3d'].includes(SOON)}, overdue ${want.ids.overdue.includes(LATE)}`);
    for (const w of walls) check(`${w.size.name} counts at the start`, await matches(w, want, 'start'), '');
    await inspect(walls, 'start');

    // a crossing: due in two days now, announced by the reminder tick
    const moved = await fetch(`${HOOK}/move?id=${SOON}`, { method: 'POST' });
    if (!moved.ok) throw new Error(`moving the declaration: ${moved.status}`);
    const opened = await api('POST', '/api/v1/declarations/open');
    check('open announces the crossing', opened.reminded.includes(SOON), `reminded ${JSON.stringify(opened.reminded)}`);
    const before = want;
    want = await counts();
    check('api counts the crossing', want.ids['3d'].includes(SOON), `3d lists ${JSON.stringify(want.ids['3d'])}`);
    const declaration = await api('GET', `/api/v1/declarations/${SOON}`);
    for (const w of walls) {
      check(`${w.size.name} counts after the crossing`, await matches(w, want, 'crossing'), '');
      const row = await w.page.waitForFunction(({ unit, indicator }) => [...document.querySelectorAll('#ticker li')].map((li) => li.textContent)
        .find((s) => s.includes('申报提醒') && s.includes(unit) && s.includes(indicator) && s.includes('3天内到期')),
      { unit: declaration.unit_name, indicator: declaration.indicator_name }, { timeout: 20000 }).then((h) => h.jsonValue()).catch(() => null);
      check(`${w.size.name} feed shows the reminder`, Boolean(row), `feed: ${await w.page.evaluate(() => document.querySelector('#ticker').textContent)}`);
    }
    results.checks.crossing = { before: DUES.map((d) => before[d]), after: DUES.map((d) => want[d]) };
    await inspect(walls, 'after the crossing');

    // the overdue one accepted: it leaves the overdue count
    await api('POST', `/api/v1/declarations/${LATE}/materials`, { kind: 'text', text: '大屏测试：补交材料' });
    for (const action of ['submit', 'approve', 'accept']) await api('POST', `/api/v1/declarations/${LATE}/actions`, { action, note: '大屏测试' });
    want = await counts();
    check('api drops the accepted one', !want.ids.overdue.includes(LATE), 'still overdue');
    for (const w of walls) check(`${w.size.name} counts after the acceptance`, await matches(w, want, 'acceptance'), '');
    await inspect(walls, 'after the acceptance');

    for (const w of walls) {
      check(`${w.size.name} not reloaded`, await w.page.evaluate(() => window.__notReloaded === true), 'the page reloaded');
      await w.page.locator('.wall-left').screenshot({ path: join(SHOTS, `wall-declarations-${w.size.name}.png`) })
        .catch((err) => console.warn(`${w.size.name}: no screenshot: ${err.message.split('\n')[0]}`));
      for (const e of w.errors.slice(0, 5)) fail(w.size.name, `console: ${e}`);
      await w.context.close();
    }
  } finally {
    await browser.close();
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
