// Browser test of the bulletins (通报) on /review, run by the Go test
// TestBulletinsBrowser (webmap/browsertest) with:
//
//   CITYMAP_E2E_URL         the server
//   CITYMAP_E2E_TOKEN       a reviewer's token
//   CITYMAP_E2E_DATE        a day of a month long past that no bulletin covers
//   CITYMAP_E2E_UNIT_NAME   a unit the test's inspection in that month names
//   CITYMAP_E2E_PDF_OUT     where the downloaded PDF goes
//   CITYMAP_E2E_SCREENSHOTS where the screenshots go
//   CITYMAP_E2E_RESULT      where the JSON summary goes
//   CITYMAP_CHROMIUM        the browser
//
// The flow: the 通报 view lists the demo city's bulletins; a period in the
// future is refused with a message; the month's preview shows in the frame
// with the unit's name; freezing it lists it as the month's next issue, its
// printable page opens in the frame, and its PDF downloads (the Go test reads
// its text). No CSP violation, no console error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKEN = env('CITYMAP_E2E_TOKEN');
const DATE = env('CITYMAP_E2E_DATE');
const UNIT_NAME = env('CITYMAP_E2E_UNIT_NAME');
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');

const results = { pages: {}, checks: {}, failures: [] };

function fail(what, message) {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
}

async function flow(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const errors = [];
  page.on('console', (m) => {
    // the refused future period is an expected 422 in the console
    if (m.type() === 'error' && !/422/.test(m.text())) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  results.pages.review = { errors };
  await page.goto(`${BASE}/review?token=${encodeURIComponent(TOKEN)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') throw new Error('the page did not start');
  await page.click('.tab[data-view=bulletins]');
  await page.waitForSelector('#b-history li.bulletin', { timeout: 10000 });
  results.checks.history = await page.locator('#b-history li.bulletin').count();

  // a period that has not ended: a message, nothing in the frame
  await page.selectOption('#b-period', 'year');
  await page.fill('#b-date', '2099-06-01');
  await page.click('#b-preview');
  await page.waitForSelector('.toast', { timeout: 10000 });
  const toast = await page.textContent('.toast');
  if (!/not ended|尚未|未结束|has not ended/.test(toast)) fail('future', `the toast reads ${JSON.stringify(toast)}`);
  else results.checks.future = toast;

  // the month's preview, then frozen
  await page.selectOption('#b-period', 'month');
  await page.fill('#b-date', DATE);
  await page.click('#b-preview');
  const frame = page.frameLocator('#b-frame');
  await frame.locator('h1').waitFor({ timeout: 20000 });
  const previewText = await frame.locator('body').textContent();
  if (!previewText.includes('预览') || !previewText.includes(UNIT_NAME)) fail('preview', `the preview lacks 预览 or ${UNIT_NAME}`);
  else results.checks.preview = 'shows the unit';
  await page.screenshot({ path: join(SHOTS, 'bulletin-preview.png') });
  await page.click('#b-freeze');
  const year = DATE.slice(0, 4);
  const item = page.locator('#b-history li.bulletin[data-status=published]', { hasText: `${year}年第` }).first();
  await item.waitFor({ timeout: 20000 });
  const issue = (await item.locator('.b-head b').textContent()).trim();
  results.checks.issue = issue;
  await frame.locator(`text=${issue}`).first().waitFor({ timeout: 20000 });
  await item.locator('button[data-open]').click();
  await frame.locator(`text=${issue}`).first().waitFor({ timeout: 20000 });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), item.locator('button[data-pdf]').click()]);
  await download.saveAs(env('CITYMAP_E2E_PDF_OUT'));
  results.checks.pdf = download.suggestedFilename();
  await page.screenshot({ path: join(SHOTS, 'bulletin-frozen.png') });
  const csp = await page.evaluate(() => window.__csp);
  if (csp.length) fail('review', `CSP violations: ${csp.join('; ')}`);
  await context.close();
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await flow(browser);
  } catch (err) {
    fail('flow', err.message.split('\n')[0]);
  } finally {
    await browser.close();
  }
  for (const [name, p] of Object.entries(results.pages)) for (const e of p.errors) fail(name, `console: ${e}`);
  const summary = JSON.stringify(results, null, 2);
  if (RESULT) writeFileSync(RESULT, summary);
  console.log(summary);
  process.exit(results.failures.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
