// Browser test of a questionnaire (问卷调查), run by the Go test
// TestSurveysBrowser (webmap/browsertest) with:
//
//   CITYMAP_E2E_URL          the server
//   CITYMAP_E2E_TOKENS       JSON {"planner"}
//   CITYMAP_E2E_SURVEY       JSON {"id", "code", "community", "q1_text"}: a published survey
//                            whose first question's text is markup
//   CITYMAP_E2E_SCREENSHOTS  where the screenshots go
//   CITYMAP_E2E_RESULT       where the JSON summary goes
//   CITYMAP_CHROMIUM         the browser
//
// The flow: the planner's 问卷 panel shows the survey's respondents in the
// community; on a phone-sized page (390×844, touch) a citizen opens /s/{code},
// sees the question of markup as text, taps submit without the required
// rating and is told which question to answer, answers, picks the community,
// gives a phone number and submits; the planner's panel, refreshed, counts
// one respondent more there. No page logs an error (a CSP violation is one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const SURVEY = JSON.parse(env('CITYMAP_E2E_SURVEY', '{}'));
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');

const results = { pages: {}, checks: {}, failures: [] };
const pages = [];

function fail(what, message) {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
}

async function watch(name, context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/\/style\.json/.test(m.location().url) && !/status of 4\d\d/.test(m.text())) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  results.pages[name] = { errors };
  pages.push({ name, page, context });
  return page;
}

const cell = `#survey-areas tr[data-code="${SURVEY.community}"] td[data-col=respondents]`;

async function planner(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await watch('planner', context);
  const started = Date.now();
  await page.goto(`${BASE}/planner?token=${encodeURIComponent(TOKENS.planner)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') fail('planner', 'the page did not start');
  results.pages.planner.load_ms = Date.now() - started;
  await page.selectOption('#survey-pick', String(SURVEY.id));
  await page.waitForSelector(`#view-surveys[data-survey="${SURVEY.id}"] ${cell}`, { timeout: 15000 });
  return page;
}

async function respondents(page) {
  return Number((await page.textContent(cell)).replace(/\D/g, ''));
}

async function phone(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true,
    hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148' });
  const page = await watch('survey', context);
  const started = Date.now();
  await page.goto(`${BASE}/s/${encodeURIComponent(SURVEY.code)}`);
  await page.waitForSelector('#survey');
  results.pages.survey.load_ms = Date.now() - started;
  // the question of markup shows as text, and made no element
  const q1 = page.locator('fieldset[data-q=Q1] .qt');
  if ((await q1.textContent()) !== SURVEY.q1_text) fail('survey', `question 1 shows ${JSON.stringify(await q1.textContent())}`);
  else results.checks.markup_as_text = SURVEY.q1_text;
  if (await page.locator('fieldset[data-q=Q1] legend img, fieldset[data-q=Q1] legend b').count()) fail('survey', 'the question text made elements');
  if (await page.evaluate(() => window.__xss)) fail('survey', 'markup ran');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 390) fail('survey', `the page is ${width}px wide on a 390px phone`);
  // a required rating left out: told which
  await page.locator('fieldset[data-q=Q1] label.opt').first().tap();
  await page.locator('button.submit').tap();
  const err = page.locator('fieldset[data-q=Q2] .err');
  await err.waitFor({ state: 'visible', timeout: 5000 });
  const msg = await err.textContent();
  if (!msg.includes('请回答第2题')) fail('survey', `the missing answer's message: ${JSON.stringify(msg)}`);
  else results.checks.missing_required = msg;
  await page.screenshot({ path: join(SHOTS, 'survey-missing.png'), fullPage: true });
  // answer it all
  await page.locator('fieldset[data-q=Q2] label.pt').nth(3).tap();
  await page.locator('fieldset[data-q=Q3] label.opt').first().tap();
  await page.selectOption('#community', SURVEY.community);
  await page.locator('#phone').tap();
  await page.fill('#phone', '139 0000 1234');
  await page.locator('button.submit').tap();
  await page.waitForSelector('#done', { state: 'visible', timeout: 10000 });
  if (await page.locator('fieldset[data-q=Q2] .err').isVisible()) fail('survey', 'the message stayed after the answer');
  await page.screenshot({ path: join(SHOTS, 'survey-done.png'), fullPage: true });
  results.checks.answered = 'submitted on a 390×844 touch page';
}

async function clean(p) {
  const csp = await p.page.evaluate(() => window.__csp).catch(() => []);
  for (const v of csp || []) fail(p.name, `CSP violation: ${v}`);
}

async function flow(browser) {
  const plan = await planner(browser);
  const before = await respondents(plan);
  await phone(browser);
  await plan.click('#survey-refresh');
  try {
    await plan.waitForFunction(([sel, want]) => {
      const el = document.querySelector(sel);
      return el && Number(el.textContent.replace(/\D/g, '')) === want;
    }, [cell, before + 1], { timeout: 15000 });
    results.checks.planner_respondents = `${before} → ${before + 1}`;
  } catch {
    fail('planner', `respondents in ${SURVEY.community}: ${before} before, ${await respondents(plan)} after`);
  }
  try {
    await plan.waitForSelector('#survey-questions .chart[data-question=Q1] canvas', { timeout: 5000 });
    results.checks.planner_chart = 'question 1 drawn';
  } catch {
    fail('planner', 'no chart of question 1');
  }
  await plan.check('#survey-onmap');
  await plan.selectOption('#survey-measure', 'awareness_rate');
  await plan.locator('#view-surveys').screenshot({ path: join(SHOTS, 'planner-surveys.png') });
  for (const p of pages) await clean(p);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('CITYMAP_CHROMIUM', '/usr/bin/chromium'),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await flow(browser);
  } catch (err) {
    fail('flow', err.message.split('\n')[0]);
    for (const p of pages) await p.page.screenshot({ path: join(SHOTS, `survey-failed-${p.name}.png`), fullPage: true }).catch(() => {});
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
