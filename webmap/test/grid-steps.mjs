// Browser test of the clock's steps on /grid (extensions 延期, suspensions
// 挂起), run by the Go test TestGridStepsBrowser (webmap/browsertest) with:
//
//   CITYMAP_E2E_URL          the server
//   CITYMAP_E2E_TOKENS       JSON {"grid_manager", "dispatcher"}
//   CITYMAP_E2E_ISSUE        a dispatched road-damage case (3 workdays) in the
//                            grid manager's grid, overdue
//   CITYMAP_E2E_REASON       a reason of markup the timeline must show as text
//   CITYMAP_E2E_SCREENSHOTS, CITYMAP_E2E_RESULT, CITYMAP_CHROMIUM
//
// The grid manager sees the time limit with its unit, is refused in Chinese
// when asking without a reason, asks for 2 workdays with the reason, and is
// offered neither the answer nor a suspension; a dispatcher sees the request,
// grants it, and the deadline shown moves to the API's; the dispatcher
// suspends the case (badge shown, not overdue, only 恢复 offered) and resumes
// it. No markup runs and no page logs an error (a CSP violation is one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const ISSUE = env('CITYMAP_E2E_ISSUE');
const REASON = env('CITYMAP_E2E_REASON');
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');

const results = { pages: {}, checks: {}, failures: [] };
const fail = (what, message) => {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
};

async function api(path, token) {
  const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${token}` } });
  const json = await res.json();
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const issue = () => api(`/api/v1/issues/${ISSUE}`, TOKENS.dispatcher).then((f) => f.properties);

// open signs in on /grid with token and opens the test's case in the drawer.
async function open(browser, name, token) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const errors = [];
  page.on('console', (m) => {
    // the refusals the test provokes are logged by the browser as failed requests
    if (m.type() === 'error' && !/\/style\.json/.test(m.location().url) && !/status of 400/.test(m.text())) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  const started = Date.now();
  await page.goto(`${BASE}/grid?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') fail(name, 'the page did not start');
  results.pages[name] = { load_ms: Date.now() - started, errors };
  const item = `#issue-list [data-issue-id="${ISSUE}"]`;
  await page.waitForSelector(item, { timeout: 30000 });
  await page.click(item);
  await page.waitForSelector('#drawer .chip[data-status=dispatched]', { timeout: 10000 });
  return { context, page, errors };
}

const shownDeadline = (page) => page.getAttribute('#drawer [data-deadline]', 'data-deadline');

async function clean(page, name, errors) {
  const xss = await page.evaluate(() => window.__xss);
  if (xss) fail(name, `markup ran: ${xss}`);
  const csp = await page.evaluate(() => window.__csp);
  if (csp.length) fail(name, `CSP: ${csp.join('; ')}`);
  if (errors.length) fail(name, errors.join('; '));
}

async function gridManager(browser) {
  const { context, page, errors } = await open(browser, 'grid_manager', TOKENS.grid_manager);
  const facts = await page.locator('#drawer .facts').textContent();
  if (!facts.includes('3 工作日')) fail('limit', `the facts do not show the time limit 3 工作日: ${facts}`);
  else results.checks.limit_unit = '3 工作日';
  await page.waitForSelector('#drawer [data-step=extend_request]', { timeout: 5000 });
  const unit = await page.locator('#drawer [data-step=extend_request] .unit').textContent();
  if (unit !== '工作日') fail('request', `the amount's unit shows as ${unit}`);
  for (const a of ['extend_grant', 'extend_refuse', 'suspend', 'resume']) {
    if (await page.locator(`#drawer button[data-action=${a}]`).count()) fail('request', `a grid manager is offered ${a}`);
  }
  // without a reason: the server refuses (400), the page says so in Chinese
  await page.fill('#drawer input[name=extend_amount]', '2');
  await page.click('#drawer button[data-action=extend_request]');
  await page.waitForFunction(() => document.querySelector('#drawer .action-error').textContent !== '', null, { timeout: 5000 });
  const refusal = await page.locator('#drawer .action-error').textContent();
  if (refusal !== '请填写理由。') fail('refusal', `the 400 shows as ${JSON.stringify(refusal)}`);
  else results.checks.refusal_400 = refusal;

  await page.fill('#drawer input[name=extend_amount]', '2');
  await page.fill('#drawer input[name=extend_reason]', REASON);
  await page.click('#drawer button[data-action=extend_request]');
  await page.waitForSelector('#drawer [data-badge=extension]', { timeout: 10000 });
  const badge = await page.locator('#drawer [data-badge=extension]').textContent();
  if (!badge.startsWith('延期申请中') || !badge.includes('2 工作日')) fail('request', `the badge shows ${badge}`);
  const p = await issue();
  if (p.extension_requested !== 2) fail('request', `the server holds extension_requested ${p.extension_requested}`);
  else results.checks.request = badge;
  const line = await page.locator('#drawer .timeline .clock-data', { hasText: '理由' }).first().textContent();
  if (!line.includes(`理由：${REASON}`)) fail('reason', `the timeline shows ${JSON.stringify(line)}`);
  else results.checks.markup_reason_as_text = line;
  if (await page.locator('#drawer img').count()) fail('reason', 'the reason of markup made an element');
  if (await page.locator('#drawer button[data-action=extend_request]').count()) fail('request', 'a second request is offered');
  await page.screenshot({ path: join(SHOTS, 'grid-extension-request.png') });
  await clean(page, 'grid_manager', errors);
  await context.close();
}

async function dispatcher(browser) {
  const { context, page, errors } = await open(browser, 'dispatcher', TOKENS.dispatcher);
  await page.waitForSelector('#drawer button[data-action=extend_grant]', { timeout: 5000 });
  const pending = await page.locator('#drawer [data-step=extend_answer] .section-title').textContent();
  if (pending !== '延期申请：2 工作日') fail('answer', `the request shows as ${pending}`);
  if (!(await page.locator('#drawer button[data-action=extend_refuse]').count())) fail('answer', '不予延期 is not offered');
  if (!(await page.locator('#drawer .chip-overdue').count())) fail('answer', 'the overdue case shows no 逾期 badge');
  const before = await shownDeadline(page);
  await page.click('#drawer button[data-action=extend_grant]');
  await page.waitForSelector('#drawer [data-badge=extension]', { state: 'detached', timeout: 10000 });
  const after = await shownDeadline(page);
  let p = await issue();
  if (after === before) fail('grant', `the deadline shown stayed ${before}`);
  else if (Date.parse(after) !== Date.parse(p.deadline) || p.extensions !== 1) {
    fail('grant', `the page shows ${after}, the server holds ${p.deadline} (${p.extensions} extensions)`);
  } else results.checks.grant = `${before} → ${after}`;

  await page.fill('#drawer input[name=suspend_reason]', '等待燃气公司抢修');
  await page.click('#drawer button[data-action=suspend]');
  await page.waitForSelector('#drawer [data-badge=suspended]', { timeout: 10000 });
  p = await issue();
  const badge = await page.locator('#drawer [data-badge=suspended]').textContent();
  if (!p.suspended || p.overdue) fail('suspend', `the server says suspended ${p.suspended}, overdue ${p.overdue}`);
  else if (await page.locator('#drawer .chip-overdue').count()) fail('suspend', 'a suspended case shows 逾期');
  else if (badge !== '已挂起（计时暂停）') fail('suspend', `the badge shows ${badge}`);
  else results.checks.suspend = badge;
  const offered = await page.locator('#drawer .actions button[data-action]').evaluateAll((bs) => bs.map((b) => b.dataset.action));
  if (offered.join() !== 'resume') fail('suspend', `a suspended case offers ${offered}`);
  // the list is redrawn a moment after the step (debounced)
  const foot = `#issue-list [data-issue-id="${ISSUE}"] .issue-foot`;
  try {
    await page.waitForFunction((sel) => document.querySelector(sel).textContent.includes('已挂起'), foot, { timeout: 5000 });
  } catch {
    fail('suspend', `the list shows ${await page.locator(foot).textContent()}`);
  }
  await page.screenshot({ path: join(SHOTS, 'grid-suspended.png') });

  await page.click('#drawer button[data-action=resume]');
  await page.waitForSelector('#drawer [data-badge=suspended]', { state: 'detached', timeout: 10000 });
  p = await issue();
  const resumed = await shownDeadline(page);
  if (p.suspended || p.suspensions !== 1) fail('resume', `the server says suspended ${p.suspended}, ${p.suspensions} suspensions`);
  else if (Date.parse(resumed) !== Date.parse(p.deadline)) fail('resume', `the page shows ${resumed}, the server holds ${p.deadline}`);
  else results.checks.resume = `deadline ${resumed}`;
  if (!(await page.locator('#drawer button[data-action=suspend]').count())) fail('resume', '挂起 is not offered again');
  await clean(page, 'dispatcher', errors);
  await context.close();
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    await gridManager(browser);
    await dispatcher(browser);
  } catch (err) {
    fail('run', err.message.split('\n')[0]);
  } finally {
    await browser.close();
    if (RESULT) writeFileSync(RESULT, JSON.stringify(results, null, 2));
  }
  if (results.failures.length) process.exit(1);
}

main();
