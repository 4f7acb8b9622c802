// Declarations (网上申报 / 台账申报), as /tasks and /review show them: list items
// with their deadline and reminder, a declaration's facts, its materials (text,
// images shown inline, PDFs drawn by PDF.js, Office files to download), its
// history, and the review steps. Every value goes in as text (h()).
import { ApiError, download, request } from './api.js';
import { DECLARATIONS } from './flows.gen.js';
import { h, toast } from './dom.js';
import { fmtDateTime, fmtDuration } from './format.js';
import { t } from './i18n.js';
import { renderPDF } from './pdfview.js';

// The steps a role may take in a status and where it may change the
// materials, as the server's declaration flow says (generated: flows.gen.js).
export const actionsFor = (role, status) => DECLARATIONS.allowed[role]?.[status] ?? [];

// Materials are added and removed while the unit prepares the declaration.
export const editable = (role, status) => (DECLARATIONS.editable[role] ?? []).includes(status);

export const statusName = (s) => t('dstatus.' + s);
export const actionName = (a) => t('daction.' + a);

export function statusChip(status) {
  return h('span', { class: 'chip dchip', dataset: { status } }, statusName(status));
}

// lateChip marks a declaration submitted after its deadline (one still with
// the unit past it already carries the overdue reminder).
export function lateChip(d) {
  return d.late && d.reminder !== 'overdue' ? h('span', { class: 'chip chip-overdue' }, t('decl.late')) : null;
}

export function reminderBadge(reminder) {
  if (!reminder) return null;
  return h('span', { class: 'reminder', dataset: { reminder } }, t('reminder.' + reminder));
}

export function dueText(d, now = Date.now()) {
  if (['accepted', 'unit_approved', 'submitted'].includes(d.status)) return `${t('decl.due')} ${fmtDateTime(d.due_at)}`;
  const ms = Date.parse(d.due_at) - now;
  return ms < 0 ? t('tasks.late', { d: fmtDuration(-ms) }) : t('tasks.left', { d: fmtDuration(ms) });
}

// listItem is a declaration in a list; names resolves unit and indicator codes.
export function listItem(d, { selected, onSelect, names }) {
  return h('li', { class: 'issue decl', dataset: { declarationId: String(d.id), status: d.status, reminder: d.reminder || '' },
    'aria-current': String(selected === d.id), onclick: () => onSelect(d.id) },
  h('div', { class: 'issue-head' }, h('span', { class: 'issue-cat' }, names.indicator(d)), statusChip(d.status)),
  h('div', { class: 'issue-addr' }, `${d.unit_name || names.unit(d.unit)} · ${d.period}`),
  h('div', { class: 'issue-foot' }, h('span', { class: d.reminder === 'overdue' ? 'late' : '' }, dueText(d)),
    h('span', { class: 'badges' }, d.material_count ? h('span', { title: t('decl.materials') }, t('decl.count', { n: d.material_count })) : null,
      reminderBadge(d.reminder), lateChip(d),
      h('span', {}, `#${d.id}`))));
}

export function facts(d, names) {
  const rows = [
    [t('decl.indicator'), names.indicator(d)],
    [t('tasks.unit'), d.unit_name || names.unit(d.unit)],
    [t('decl.period'), d.period],
    [t('decl.due'), fmtDateTime(d.due_at)],
  ];
  if (d.standard) rows.push([t('tasks.standard'), d.standard]);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function history(events) {
  if (!events || !events.length) return h('p', { class: 'muted' }, t('decl.noHistory'));
  return h('ol', { class: 'timeline' }, events.map((e) => h('li', { dataset: { action: e.action } },
    h('div', { class: 'tl-head' }, h('b', {}, actionName(e.action)),
      e.to && e.from !== e.to ? h('span', { class: 'muted' }, `${e.from ? statusName(e.from) + ' → ' : ''}${statusName(e.to)}`) : null,
      h('span', { class: 'muted' }, fmtDateTime(e.at))),
    h('div', { class: 'muted' }, e.actor),
    e.note ? h('div', { class: 'note' }, e.note) : null)));
}

// The last return's note: what the unit must fix.
export function lastReturn(events) {
  const r = [...(events || [])].reverse().find((e) => e.action === 'return');
  return r && r.note ? h('div', { class: 'returned-note' }, h('b', {}, t('decl.returnedWhy')), h('span', { class: 'note' }, r.note)) : null;
}

const isImage = (ct) => /^image\/(jpeg|png|webp)$/.test(ct || '');
const isPDF = (ct) => ct === 'application/pdf';

// The server names where each material is read: inline_url for what a page
// may show (images, PDF), url for the file itself.
const inlineURL = (m) => m.inline_url || m.url;

// fetchBlob reads a material with the token (a plain link could not carry it).
async function fetchBlob(m) {
  const res = await request(inlineURL(m), { raw: true });
  return res.blob();
}

// The images' object URLs of the materials shown: a page shows one
// declaration's at a time, so those of the last are released when the next
// is drawn (the pages run all day).
let objectURLs = [];
function releaseImages() {
  for (const u of objectURLs) URL.revokeObjectURL(u);
  objectURLs = [];
}

// preview shows the material inline: text as text, an image as <img> (an
// object URL), a PDF drawn on canvases; anything else (DOCX, XLSX) is offered
// as a download.
function preview(m) {
  if (m.kind === 'text') return h('p', { class: 'material-text' }, m.text);
  const box = h('div', { class: 'material-view', dataset: { state: 'loading' } }, h('span', { class: 'muted' }, '…'));
  const show = async () => {
    if (m.inline_url && (isImage(m.content_type) || m.kind === 'photo')) {
      const url = URL.createObjectURL(await fetchBlob(m));
      objectURLs.push(url);
      const img = h('img', { class: 'material-img', alt: m.caption || '', src: url });
      img.addEventListener('load', () => { box.dataset.state = 'shown'; }, { once: true });
      box.replaceChildren(img);
      return;
    }
    if (m.inline_url && isPDF(m.content_type)) {
      const bytes = await (await fetchBlob(m)).arrayBuffer();
      box.replaceChildren();
      await renderPDF(box, bytes);
      box.dataset.state = 'shown';
      return;
    }
    box.replaceChildren(h('button', { type: 'button', class: 'btn btn-small', dataset: { download: m.document || '' },
      onclick: () => saveMaterial(m) }, t('decl.download')));
    box.dataset.state = 'download';
  };
  show().catch((err) => {
    box.dataset.state = 'error';
    box.replaceChildren(h('span', { class: 'late' }, t('tasks.failed', { message: err.message })));
  });
  return box;
}

function saveMaterial(m) {
  const id = m.document || m.photo || '';
  download(m.url, null, m.filename || id.slice(0, 12)).catch((err) => toast(t('tasks.failed', { message: err.message }), 'error'));
}

function kindLabel(m) {
  if (m.kind === 'text') return t('decl.kindText');
  if (isImage(m.content_type) || m.kind === 'photo') return t('decl.kindPhoto');
  if (isPDF(m.content_type)) return 'PDF';
  if (/wordprocessingml/.test(m.content_type || '')) return 'Word';
  if (/spreadsheetml/.test(m.content_type || '')) return 'Excel';
  return t('decl.kindDocument');
}

const fmtSize = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

// materials lists what is attached and who attached it; onRemove, when given,
// adds a remove button to each.
export function materials(list, { onRemove } = {}) {
  releaseImages();
  if (!list || !list.length) return h('p', { class: 'muted', id: 'no-materials' }, t('decl.noMaterials'));
  return h('ul', { class: 'materials' }, list.map((m) => h('li', { class: 'material', dataset: { materialId: String(m.id), kind: m.kind, type: m.content_type || '' } },
    h('div', { class: 'material-head' },
      h('span', { class: 'chip' }, kindLabel(m)),
      h('b', { class: 'caption' }, m.caption || (m.kind === 'text' ? '' : m.filename || t('decl.noCaption'))),
      m.caption && m.filename ? h('span', { class: 'muted filename' }, m.filename) : null,
      m.size ? h('span', { class: 'muted' }, fmtSize(m.size)) : null,
      h('span', { class: 'muted' }, t('decl.attachedBy', { who: m.attached_by || '—', at: fmtDateTime(m.attached_at) })),
      onRemove ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { remove: String(m.id) }, onclick: () => onRemove(m) },
        t('decl.remove')) : null),
    preview(m))));
}

// getDeclaration reads one declaration with its ETag (for If-Match).
export async function getDeclaration(id) {
  const res = await request(`/api/v1/declarations/${encodeURIComponent(id)}`, { raw: true });
  const d = await res.json();
  d.etag = res.headers.get('ETag') || (d.version !== undefined ? `"${d.version}"` : '');
  return d;
}

// act takes a review step; it resolves true when the server took it.
export async function act(d, action, note) {
  try {
    await request(`/api/v1/declarations/${encodeURIComponent(d.id)}/actions`, { method: 'POST', body: { action, note },
      headers: d.etag ? { 'If-Match': d.etag } : {} });
    toast(t('tasks.done', { action: actionName(action) }), 'ok');
    return true;
  } catch (err) {
    toast(t('tasks.failed', { message: errorText(err) }), 'error');
    return false;
  }
}

export function errorText(err) {
  if (err instanceof ApiError && err.status === 409 && err.body.error.status) return t('decl.conflict', { status: statusName(err.body.error.status) });
  if (err instanceof ApiError && err.status === 412) return t('decl.stale');
  return err.message;
}

// actionBox is the note and the buttons of the steps the caller may take.
export function actionBox(d, role, onDone) {
  const mine = actionsFor(role, d.status);
  if (!mine.length) return null;
  // the server refuses a submission without materials (422): say so first
  const empty = !(d.materials || []).length;
  const note = h('textarea', { name: 'note', rows: 3, placeholder: t(role === 'unit' ? 'decl.submitPlaceholder' : 'decl.notePlaceholder') });
  const buttons = mine.map((a) => h('button', { type: 'button', class: a === 'return' ? 'btn btn-danger' : 'btn btn-primary',
    dataset: { action: a }, disabled: a === 'submit' && empty, title: a === 'submit' && empty ? t('decl.needMaterial') : null,
    onclick: async (ev) => {
      if (a === 'return' && !note.value.trim()) {
        toast(t('decl.needNote'), 'error');
        note.focus();
        return;
      }
      const b = ev.currentTarget;
      b.disabled = true;
      if (await act(d, a, note.value.trim())) onDone(a);
      else b.disabled = false;
    } }, actionName(a)));
  return h('div', { class: 'task-actions decl-actions' },
    h('label', { class: 'section-title' }, t(role === 'unit' ? 'decl.submitNote' : 'decl.note'), note),
    h('div', { class: 'buttons' }, buttons,
      mine.includes('submit') && empty ? h('span', { class: 'muted' }, t('decl.needMaterial')) : null));
}
