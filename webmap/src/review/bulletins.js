// The 通报 view of /review: preview a period's bulletin as it will print
// (GET /api/v1/bulletins/preview.html in a frame), freeze it as the next
// numbered issue (POST /api/v1/bulletins), and the history — open a frozen
// bulletin's printable page, print it, download its PDF. The printable page
// is the server's (escaped there, no script, framed from this origin only);
// everything this view writes goes in as text.
import { download, get, post, token, withQuery } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { cityDate, fmtDateTime } from '../lib/format.js';
import { t } from '../lib/i18n.js';

const B = { list: [], shown: null };

// frameURL is a printable page for the frame: the frame cannot send the
// Authorization header, so the token goes as access_token (the server's log
// keeps paths only, and no Referer is sent on).
const frameURL = (path, params = {}) => withQuery(path, { ...params, access_token: token() });

function show(path, params, label) {
  B.shown = label;
  $('#b-frame').src = frameURL(path, params);
  $('#b-shown').textContent = label;
  $('#b-print').disabled = false;
}

function periodParams() {
  return { period: $('#b-period').value, date: $('#b-date').value || cityDate() };
}

// the refusals a 创建办 meets, in its words; others as the server says
const REFUSALS = { period_not_ended: 'bulletins.notEnded', already_frozen: 'bulletins.alreadyFrozen' };
const failed = (err) => toast(t('bulletins.failed', { message: REFUSALS[err.code] ? t(REFUSALS[err.code]) : err.message }), 'error');

async function preview() {
  const p = periodParams();
  // ask the JSON first: a period not ended answers a clear 422 here rather
  // than an error page in the frame
  try {
    await get('/api/v1/bulletins/preview', p);
  } catch (err) {
    failed(err);
    return;
  }
  show('/api/v1/bulletins/preview.html', p, t('bulletins.previewOf', p));
}

async function freeze(button) {
  button.disabled = true;
  try {
    const title = $('#b-title').value.trim();
    const b = await post('/api/v1/bulletins', { ...periodParams(), ...(title ? { title } : {}) });
    toast(t('bulletins.frozen', { issue: b.issue }), 'ok');
    await loadHistory();
    show(b.html, {}, `${b.issue} ${b.title}`);
  } catch (err) {
    failed(err);
  } finally {
    button.disabled = false;
  }
}

async function pdf(b, button) {
  button.disabled = true;
  try {
    const file = await download(b.pdf, {}, `bulletin-${b.id}.pdf`);
    toast(t('tasks.exported', { file }), 'ok');
  } catch (err) {
    failed(err);
  } finally {
    button.disabled = false;
  }
}

export async function loadHistory() {
  const res = await get('/api/v1/bulletins', { status: 'all', period: $('#b-filter').value });
  B.list = res.bulletins;
  renderHistory();
}

function renderHistory() {
  if (!B.list.length) {
    fill($('#b-history'), h('li', { class: 'empty' }, t('bulletins.none')));
    return;
  }
  fill($('#b-history'), B.list.map((b) => h('li', { class: 'bulletin', dataset: { bulletinId: String(b.id), status: b.status } },
    h('div', { class: 'b-head' }, h('b', {}, b.issue), h('span', { class: `b-status ${b.status}` }, t('bulletins.status.' + b.status))),
    h('div', { class: 'b-title' }, b.title),
    h('div', { class: 'muted' }, b.published_at ? t('bulletins.publishedAt', { at: fmtDateTime(b.published_at) }) : t('bulletins.preparedAt', { at: fmtDateTime(b.created_at) })),
    h('div', { class: 'b-actions' },
      h('button', { class: 'btn btn-small', type: 'button', dataset: { open: '' }, onclick: () => show(b.html, {}, `${b.issue} ${b.title}`) }, t('bulletins.open')),
      h('button', { class: 'btn btn-small', type: 'button', dataset: { pdf: '' }, onclick: (e) => pdf(b, e.currentTarget) }, t('bulletins.pdf'))))));
}

export function initBulletins() {
  $('#b-date').value = cityDate();
  $('#b-preview').addEventListener('click', () => preview());
  $('#b-freeze').addEventListener('click', (e) => freeze(e.currentTarget));
  $('#b-filter').addEventListener('change', () => loadHistory().catch(failed));
  $('#b-print').addEventListener('click', () => $('#b-frame').contentWindow.print());
}

export const renderBulletins = renderHistory;
