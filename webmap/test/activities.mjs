// Browser test of the planner's volunteer activities, run by the Go test
// TestActivitiesBrowser (webmap/browsertest) with:
//
//   CITYMAP_E2E_URL          the server
//   CITYMAP_E2E_TOKEN        a planner's token
//   CITYMAP_E2E_MONTH        the month of the test's activities (2026-12)
//   CITYMAP_E2E_STREET       the street they lie in
//   CITYMAP_E2E_COUNT        the activities on that street's menu that month
//   CITYMAP_E2E_ATTENDED     the attendance counted there that month
//   CITYMAP_E2E_TITLE        the title of markup one of them has
//   CITYMAP_E2E_SCREENSHOTS, CITYMAP_E2E_RESULT, CITYMAP_CHROMIUM
//
// On /planner the activities' panel shows the month's point layer (the
// test's activity among its points), the street's monthly count and
// attendance in the table, and the title of markup as text in the month's
// menu; no markup runs and no page logs an error (a CSP violation is one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKEN = env('CITYMAP_E2E_TOKEN');
const MONTH = env('CITYMAP_E2E_MONTH');
const STREET = env('CITYMAP_E2E_STREET');
const COUNT = Number(env('CITYMAP_E2E_COUNT'));
const ATTENDED = Number(env('CITYMAP_E2E_ATTENDED'));
const TITLE = env('CITYMAP_E2E_TITLE');
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');

const results = { pages: {}, checks: {}, failures: [] };
const fail = (what, message) => {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
};

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const errors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/\/style\.json/.test(m.location().url)) errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('dialog', (d) => {
      errors.push(`a dialog opened: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    const started = Date.now();
    await page.goto(`${BASE}/planner?token=${encodeURIComponent(TOKEN)}`);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
    if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') fail('planner', 'the page did not start');
    results.pages.planner = { load_ms: Date.now() - started, errors };

    await page.waitForSelector(`#activities-month option[value="${MONTH}"]`, { state: 'attached', timeout: 30000 });
    await page.selectOption('#activities-month', MONTH);
    const item = page.locator('#activities-list li', { hasText: TITLE });
    await item.first().waitFor({ timeout: 30000 });
    const shown = await item.first().locator('.activity-title').textContent();
    if (shown !== TITLE) fail('menu', `the title shows as ${JSON.stringify(shown)}, want ${JSON.stringify(TITLE)}`);
    else results.checks.markup_title_as_text = shown;
    if (await page.locator('#activities-list img').count()) fail('menu', 'the title of markup made an element');
    const points = Number(await page.getAttribute('#activities-map', 'data-points'));
    const listed = await page.locator('#activities-list li').count();
    if (!(points >= 1) || points !== listed) fail('layer', `the point layer holds ${points} activities, the menu lists ${listed}`);
    else results.checks.layer_points = points;

    const row = page.locator(`#activities-table tr[data-code="${STREET}"]`);
    await row.waitFor({ timeout: 10000 });
    const cells = await row.locator('td').allTextContents();
    // street, activities, held, signups, attended, rate
    if (Number(cells[1].replace(/,/g, '')) !== COUNT || Number(cells[4].replace(/,/g, '')) !== ATTENDED) {
      fail('count', `the street's row shows ${JSON.stringify(cells)}, want ${COUNT} activities and ${ATTENDED} attended`);
    } else results.checks.street_count = cells;
    const bars = await page.evaluate(() => {
      const c = document.querySelector('#chart-activities').chart;
      return c ? c.getOption().series[0].data.length : 0;
    });
    if (!(bars >= 1)) fail('chart', 'no bars drawn');
    else results.checks.bars = bars;

    const xss = await page.evaluate(() => window.__xss);
    if (xss) fail('xss', `markup ran: ${xss}`);
    const csp = await page.evaluate(() => window.__csp);
    if (csp.length) fail('csp', csp.join('; '));
    if (errors.length) fail('planner', errors.join('; '));
    await page.locator('#view-activities').screenshot({ path: join(SHOTS, 'planner-activities.png') });
  } catch (err) {
    fail('run', err.message.split('\n')[0]);
  } finally {
    await browser.close();
    if (RESULT) writeFileSync(RESULT, JSON.stringify(results, null, 2));
  }
  if (results.failures.length) process.exit(1);
}

main();
