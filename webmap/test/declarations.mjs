// Browser test of a declaration's review (网上申报), run by the Go test
// TestDeclarationsBrowser (webmap/browsertest) with:
//
//   CITYMAP_E2E_URL           the server
//   CITYMAP_E2E_TOKENS        JSON {"unit", "unit_leader", "reviewer", "admin"}
//   CITYMAP_E2E_DECLARATION   a draft declaration of the unit token's unit, due in 5 days
//   CITYMAP_E2E_OTHER_DECLARATION   another unit's, for the same month
//   CITYMAP_E2E_UNIT          that unit's code
//   CITYMAP_E2E_PERIOD_DATE   a date of the declaration's month (its completeness)
//   CITYMAP_E2E_PDF, _PNG, _DOCX   files to attach
//   CITYMAP_E2E_SCREENSHOTS   where the screenshots go
//   CITYMAP_E2E_RESULT        where the JSON summary goes
//   CITYMAP_CHROMIUM          the browser
//
// The flow: on /tasks the unit sees the declaration with its 7-day reminder,
// attaches the PDF, the PNG and the DOCX with captions (one of markup) and a text,
// removes the text and submits; its leader approves on /tasks; on /review the
// 创建办 sees the PNG as an image and the PDF drawn on a canvas (non-blank),
// downloads the DOCX,
// returns it with a comment of markup; the unit's open page shows the comment
// (live), the unit resubmits, the leader approves, the 创建办 accepts; the
// completeness table's accepted count of the unit goes up by one and its CSV
// downloads. No page logs an error (a CSP violation is one), no markup runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => process.env[k] || d;
const BASE = env('CITYMAP_E2E_URL');
const TOKENS = JSON.parse(env('CITYMAP_E2E_TOKENS', '{}'));
const DECL = env('CITYMAP_E2E_DECLARATION');
const UNIT = env('CITYMAP_E2E_UNIT');
const OTHER = env('CITYMAP_E2E_OTHER_DECLARATION');
const PERIOD_DATE = env('CITYMAP_E2E_PERIOD_DATE');
const SHOTS = env('CITYMAP_E2E_SCREENSHOTS', 'test-results/screenshots');
const RESULT = env('CITYMAP_E2E_RESULT', '');
const CAPTION_XSS = '现场照片<img src=x onerror="window.__xss=\'caption\'">';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const NOTE_XSS = '材料不全，请补充签字页<img src=x onerror=alert(1)>';

const results = { pages: {}, checks: {}, failures: [] };
const pages = [];

function fail(what, message) {
  results.failures.push(`${what}: ${message}`);
  console.error(`FAIL ${what}: ${message}`);
}

async function open(browser, name, path, token) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
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
  await page.goto(`${BASE}${path}?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true') fail(name, 'the page did not start');
  results.pages[name] = { load_ms: Date.now() - started, errors };
  const p = { name, context, page, errors };
  pages.push(p);
  return p;
}

const item = `[data-declaration-id="${DECL}"]`;
const chip = (status) => `#detail .chips .dchip[data-status=${status}]`;

async function api(method, path, token) {
  const res = await fetch(BASE + path, { method, headers: { Authorization: `Bearer ${token}` } });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// step clicks an action's button (with a note) and waits for the status.
async function step(p, action, status, note) {
  if (note !== undefined) await p.page.fill('#detail .decl-actions textarea[name=note]', note);
  await p.page.click(`#detail button[data-action=${action}]`);
  await p.page.waitForSelector(chip(status), { timeout: 10000 });
}

// attach uploads a file with its caption and waits for it among the materials.
async function attach(p, file, mime, caption) {
  const n = await p.page.locator('#detail .material').count();
  await p.page.fill('#detail .decl-add input[name=caption]', caption);
  await p.page.setInputFiles('#detail .decl-add input[type=file]', { name: basename(file), mimeType: mime, buffer: readFileSync(file) });
  await p.page.waitForFunction((k) => document.querySelectorAll('#detail .material').length > k, n, { timeout: 10000 });
}

async function unitPrepares(unit) {
  await unit.page.click('.tab[data-mode=declarations]');
  await unit.page.waitForSelector(`#decl-list ${item}`, { timeout: 10000 });
  const badge = await unit.page.textContent(`#decl-list ${item} .reminder`);
  if (badge !== '7天内') fail('unit', `the reminder badge reads ${JSON.stringify(badge)}, not 7天内`);
  else results.checks.reminder_badge = badge;
  await unit.page.click('.seg[data-dfilter=all]');
  await unit.page.waitForSelector(`#decl-list ${item}`, { timeout: 10000 });
  if (await unit.page.$(`#decl-list [data-declaration-id="${OTHER}"]`)) fail('unit', 'the unit sees another unit\'s declaration');
  await unit.page.click('.seg[data-dfilter=todo]');
  await unit.page.waitForSelector(`#decl-list ${item}`, { timeout: 10000 });
  await unit.page.click(`#decl-list ${item}`);
  await unit.page.waitForSelector(chip('draft'), { timeout: 10000 });
  await attach(unit, env('CITYMAP_E2E_PDF'), 'application/pdf', '11月整改台账');
  await attach(unit, env('CITYMAP_E2E_PNG'), 'image/png', CAPTION_XSS);
  await attach(unit, env('CITYMAP_E2E_DOCX'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', '工作方案');
  // a text, then taken off again
  await unit.page.fill('#detail .decl-add textarea[name=text]', '浏览器测试：临时说明');
  await unit.page.click('#detail button[data-add=text]');
  await unit.page.waitForSelector('#detail .material[data-kind=text]', { timeout: 10000 });
  await unit.page.click('#detail .material[data-kind=text] button[data-remove]');
  await unit.page.waitForFunction(() => !document.querySelector('#detail .material[data-kind=text]'), null, { timeout: 10000 });
  const kinds = await unit.page.$$eval('#detail .material', (els) => els.map((e) => e.dataset.type));
  if (kinds.join(',') !== `application/pdf,image/png,${DOCX}`) fail('unit', `materials after the removal: ${kinds}`);
  await unit.page.waitForSelector('#detail .material[data-type="image/png"] img.material-img', { timeout: 10000 });
  await unit.page.waitForSelector('#detail .material[data-type="application/pdf"] canvas.pdf-page[data-rendered=true]', { timeout: 20000 });
  await unit.page.screenshot({ path: join(SHOTS, 'decl-unit.png'), fullPage: true });
  await step(unit, 'submit', 'submitted', '浏览器测试：请审核');
}

async function leaderApproves(leader) {
  // a leader starts on the declarations, showing those in review
  await leader.page.waitForSelector(`#decl-list ${item}`, { timeout: 10000 });
  await leader.page.click(`#decl-list ${item}`);
  await leader.page.waitForSelector('#detail button[data-action=approve]', { timeout: 10000 });
  if (await leader.page.$('#detail .decl-add')) fail('leader', 'the leader may attach materials');
  await step(leader, 'approve', 'unit_approved', '同意报送');
}

// accepted reads the unit's accepted count in the completeness view, once it
// equals want when that is given.
async function accepted(review, want) {
  if (!HAS_REPORT) return null;
  await review.page.click('.tab[data-view=completeness]');
  if ((await review.page.inputValue('#c-date')) !== PERIOD_DATE) {
    await review.page.fill('#c-date', PERIOD_DATE);
    await review.page.dispatchEvent('#c-date', 'change');
  }
  const cell = `#completeness-table[data-date="${PERIOD_DATE}"] tr[data-unit="${UNIT}"] td[data-col=accepted]`;
  await review.page.waitForSelector(cell, { timeout: 10000 });
  if (want !== undefined) {
    await review.page.waitForFunction(([c, n]) => document.querySelector(c).textContent === String(n), [cell, want], { timeout: 10000 })
      .catch(() => {});
  }
  const n = Number(await review.page.textContent(cell));
  await review.page.click('.tab[data-view=desk]');
  return n;
}

// inline checks that the 创建办 sees the PNG as an image and the PDF drawn.
async function inline(review) {
  const img = '#detail .material[data-type="image/png"] img.material-img';
  await review.page.waitForSelector(img, { timeout: 10000 });
  await review.page.waitForFunction((s) => document.querySelector(s).naturalWidth > 0, img, { timeout: 10000 });
  const size = await review.page.$eval(img, (el) => `${el.naturalWidth}x${el.naturalHeight}`);
  if (size !== '64x48') fail('review', `the image shows as ${size}`);
  else results.checks.image_inline = size;
  const word = `#detail .material[data-type="${DOCX}"] button[data-download]`;
  await review.page.waitForSelector(word, { timeout: 10000 });
  const [download] = await Promise.all([review.page.waitForEvent('download', { timeout: 10000 }), review.page.click(word)]);
  const bytes = readFileSync(await download.path());
  if (!bytes.equals(readFileSync(env('CITYMAP_E2E_DOCX')))) fail('review', `the Word file downloads as ${bytes.length} other bytes`);
  else results.checks.docx_download = download.suggestedFilename();
  const canvas = '#detail .material[data-type="application/pdf"] canvas.pdf-page[data-rendered=true]';
  try {
    await review.page.waitForSelector(canvas, { timeout: 20000 });
  } catch {
    const state = await review.page.$eval('#detail .material[data-type="application/pdf"] .material-view', (el) => `${el.dataset.state}: ${el.textContent}`);
    fail('review', `the PDF was not drawn (${state})`);
    return;
  }
  const ink = await review.page.$eval(canvas, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) n++;
    return { n, of: d.length / 4 };
  });
  if (ink.n < ink.of * 0.05) fail('review', `the PDF canvas is blank (${ink.n} of ${ink.of} pixels inked)`);
  else results.checks.pdf_canvas = `${ink.n} of ${ink.of} pixels inked`;
}

// filters: the other unit's draft shows when asked for, by status, unit and period.
async function queueFilters(review) {
  await review.page.selectOption('#f-status', 'draft');
  await review.page.selectOption('#f-unit', 'zjj');
  await review.page.fill('#f-period', '2001-01');
  try {
    await review.page.waitForSelector(`#queue [data-declaration-id="${OTHER}"]`, { timeout: 10000 });
    const n = await review.page.locator('#queue .decl').count();
    if (n !== 1) fail('review', `filtered to zjj's drafts of 2001-01, the queue holds ${n}`);
    else results.checks.queue_filters = 'status, unit and period';
  } catch {
    fail('review', 'the queue filtered by status, unit and period does not show the other unit\'s draft');
  }
  await review.page.fill('#f-period', '');
  await review.page.selectOption('#f-unit', '');
  await review.page.selectOption('#f-status', 'unit_approved');
  await review.page.waitForTimeout(400);
}

async function reviewerReturns(review) {
  await queueFilters(review);
  await review.page.waitForSelector(`#queue ${item}`, { timeout: 10000 });
  await review.page.click(`#queue ${item}`);
  await review.page.waitForSelector(chip('unit_approved'), { timeout: 10000 });
  await inline(review);
  const captions = await review.page.$$eval('#detail .material .caption', (els) => els.map((e) => e.textContent));
  if (!captions.includes(CAPTION_XSS)) fail('review', `the caption of markup does not show as text: ${JSON.stringify(captions)}`);
  await review.page.screenshot({ path: join(SHOTS, 'review.png'), fullPage: true });
  // a return needs a comment
  await review.page.click('#detail button[data-action=return]');
  await review.page.waitForTimeout(300);
  if (!(await review.page.$(chip('unit_approved')))) fail('review', 'returned without a comment');
  await step(review, 'return', 'returned', NOTE_XSS);
}

async function unitResubmits(unit) {
  // the unit's page is still open on the declaration: the return arrives live
  try {
    await unit.page.waitForSelector(chip('returned'), { timeout: 10000 });
    results.checks.live_return = 'the unit\'s open page showed the return';
  } catch {
    fail('unit', 'the return did not reach the unit\'s open page');
    await unit.page.click(`#decl-list ${item}`);
    await unit.page.waitForSelector(chip('returned'), { timeout: 10000 });
  }
  const note = await unit.page.textContent('#detail .returned-note .note');
  if (note !== NOTE_XSS) fail('unit', `the return's comment reads ${JSON.stringify(note)}`);
  else results.checks.return_comment = 'shown as text to the unit';
  await unit.page.screenshot({ path: join(SHOTS, 'decl-returned.png'), fullPage: true });
  await step(unit, 'submit', 'submitted', '已补充签字页');
}

async function reviewerAccepts(review) {
  // the queue (awaiting review) is refreshed live when the leader approves again
  await review.page.waitForSelector(`#queue ${item}`, { timeout: 10000 });
  await review.page.click(`#queue ${item}`);
  await review.page.waitForSelector('#detail button[data-action=accept]', { timeout: 10000 });
  await step(review, 'accept', 'accepted', '会审通过');
}

async function english(review) {
  await review.page.click('#lang');
  await review.page.waitForTimeout(500);
  const title = await review.page.textContent('h1');
  if (title !== 'Review desk') fail('review', `no English title: ${title}`);
  await review.page.screenshot({ path: join(SHOTS, 'review-en.png') });
  await review.page.click('#lang');
}

async function csv(review) {
  if (!HAS_REPORT) return;
  await review.page.click('.tab[data-view=completeness]');
  const [download] = await Promise.all([review.page.waitForEvent('download', { timeout: 10000 }), review.page.click('#c-csv')]);
  const text = readFileSync(await download.path(), 'utf8');
  if (!text.startsWith('\ufeff') || !text.includes(UNIT)) fail('review', `completeness CSV: ${JSON.stringify(text.slice(0, 80))}`);
  else results.checks.completeness_csv = download.suggestedFilename();
  await review.page.screenshot({ path: join(SHOTS, 'review-completeness.png'), fullPage: true });
}

async function clean(p) {
  const r = await p.page.evaluate(() => ({ xss: window.__xss, injected: document.querySelectorAll('img[src="x"], [onerror]').length, csp: window.__csp }));
  if (r.xss !== undefined) fail(p.name, `markup ran: ${r.xss}`);
  if (r.injected) fail(p.name, `markup became ${r.injected} element(s)`);
  if (r.csp.length) fail(p.name, `CSP violations: ${r.csp.join('; ')}`);
}

let HAS_REPORT = true;

async function flow(browser) {
  const probe = await fetch(`${BASE}/api/v1/reports/declarations?period=month&date=${PERIOD_DATE}`, { headers: { Authorization: `Bearer ${TOKENS.reviewer}` } });
  if (probe.status === 404) {
    HAS_REPORT = false;
    fail('review', 'GET /api/v1/reports/declarations answers 404: the completeness is not checked');
  }
  const unit = await open(browser, 'tasks-unit', '/tasks', TOKENS.unit);
  await unitPrepares(unit);
  const leader = await open(browser, 'tasks-leader', '/tasks', TOKENS.unit_leader);
  await leaderApproves(leader);
  const review = await open(browser, 'review', '/review', TOKENS.reviewer);
  const before = await accepted(review);
  await reviewerReturns(review);
  await unitResubmits(unit);
  // the leader's open page shows the resubmission live
  await leader.page.waitForSelector('#detail button[data-action=approve]', { timeout: 10000 });
  await step(leader, 'approve', 'unit_approved', '已补充，同意报送');
  await reviewerAccepts(review);
  const after = await accepted(review, before + 1);
  if (!HAS_REPORT) results.checks.completeness_accepted = 'not checked';
  else if (after !== before + 1) fail('review', `accepted count of ${UNIT}: ${before} before, ${after} after`);
  else results.checks.completeness_accepted = `${before} → ${after}`;
  await csv(review);
  await english(review);
  const d = await api('GET', `/api/v1/declarations/${DECL}`, TOKENS.admin);
  const steps = d.events.map((e) => e.action).filter((a) => !['attach', 'detach'].includes(a)).join(' ');
  if (d.status !== 'accepted' || steps !== 'open submit approve return submit approve accept') fail('server', `${d.status} after ${steps}`);
  else results.checks.flow = steps;
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
    for (const p of pages) await p.page.screenshot({ path: join(SHOTS, `decl-failed-${p.name}.png`), fullPage: true }).catch(() => {});
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
