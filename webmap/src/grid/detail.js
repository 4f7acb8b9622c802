// The case drawer: an issue's facts, photos and timeline, and the workflow
// actions its status allows for the signed-in role. Writes carry If-Match with
// the version shown, so a case changed meanwhile answers 412 and is reloaded; a
// 409 names the actions that are allowed instead.
import { ApiError, get, photoURL, post } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { fmtDateTime, fmtDuration } from '../lib/format.js';
import { actionName, sourceName, statusName, t } from '../lib/i18n.js';
import { OVERDUE, STATUS_COLORS } from '../lib/theme.js';
import { allowedFor, CLOCK, clockOf, isOpen } from '../lib/workflow.js';
import { clockSteps, deadlineUnit, stepName } from './clock.js';

// actorName shows "grid_manager:王敏" (how the API records a token's actions) as
// "网格员 王敏"; other actors (hotlines, seeded history) as they are.
function actorName(actor) {
  const m = /^(admin|dispatcher|grid_manager|planner|viewer|reporter):(.*)$/.exec(actor || '');
  return m ? `${t('role.' + m[1])} ${m[2]}` : actor || '';
}

export function createDetail(ctx) {
  const drawer = $('#drawer');
  let shown = null; // {id, version, feature}
  let urls = []; // photo object URLs, revoked when the drawer changes
  let busy = false;
  let loadSeq = 0;

  function revoke() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
  }

  async function open(id) {
    const seq = ++loadSeq;
    const f = await get(`/api/v1/issues/${id}`);
    if (seq !== loadSeq) return; // another issue was opened meanwhile
    shown = { id: String(f.id), version: f.properties.version, feature: f };
    render(f);
    ctx.onShown(String(f.id));
  }

  function close() {
    loadSeq++;
    revoke();
    shown = null;
    drawer.hidden = true;
    clearChildren();
    ctx.onShown(null);
  }

  function clearChildren() {
    drawer.replaceChildren();
  }

  // refreshIfShown reloads the drawer when its issue changed elsewhere.
  function refreshIfShown(feature) {
    if (!shown || busy || String(feature.id) !== shown.id) return;
    if (feature.properties.version > shown.version) open(shown.id).catch(() => {});
  }

  function render(f) {
    revoke();
    const p = f.properties;
    drawer.hidden = false;
    fill(drawer,
      h('div', { class: 'drawer-head' },
        h('h2', {}, ctx.catLabel(p.category), h('span', { class: 'id' }, `#${f.id}`)),
        h('button', { class: 'close', type: 'button', title: t('grid.close'), 'aria-label': t('grid.close'), onclick: close }, '×')),
      h('div', { class: 'chips' },
        h('span', { class: 'chip', dataset: { status: p.status }, style: { '--c': STATUS_COLORS[p.status] } }, statusName(p.status)),
        p.overdue && !p.suspended ? h('span', { class: 'chip chip-overdue' }, t('status.overdue')) : null,
        p.suspended ? h('span', { class: 'chip chip-suspended', dataset: { badge: 'suspended' } }, t('grid.badgeSuspended')) : null,
        p.extension_requested != null ? h('span', { class: 'chip chip-extension', dataset: { badge: 'extension' } },
          t('grid.badgeExtension', { n: p.extension_requested, unit: unitName(p) })) : null,
        p.rework_count ? h('span', { class: 'chip', style: { '--c': OVERDUE } }, t('grid.reworks', { n: p.rework_count })) : null),
      facts(p),
      photos(p.photos || []),
      actions(f),
      timeline(f.timeline || []));
  }

  function facts(p) {
    const rows = [
      [t('grid.source'), sourceName(p.source)],
      [t('grid.address'), p.address || '—'],
      [t('grid.description'), p.description || '—'],
      [t('grid.gridCode'), ctx.areaLabel(p.grid)],
      [t('grid.unit'), ctx.unitLabel(p.unit)],
      [t('grid.created'), fmtDateTime(p.created_at)],
      [t('grid.deadline'), h('span', { dataset: { deadline: p.deadline || '' } }, deadlineText(p))],
      [t('grid.timeLimit'), limitText(p)],
    ];
    if (p.extensions) rows.push([t('grid.extensions'), t('grid.times', { n: p.extensions })]);
    if (p.suspensions) rows.push([t('grid.suspensions'), t('grid.times', { n: p.suspensions })]);
    return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  function deadlineText(p) {
    if (!p.deadline) return '—';
    const ms = Date.parse(p.deadline) - Date.now();
    if (!isOpen(p.status)) return fmtDateTime(p.deadline);
    if (p.suspended) return `${fmtDateTime(p.deadline)}（${t('grid.clockStopped')}）`;
    const rel = ms < 0 ? t('grid.late', { d: fmtDuration(-ms) }) : t('grid.left', { d: fmtDuration(ms) });
    return `${fmtDateTime(p.deadline)}（${rel}）`;
  }

  const unitName = (p) => deadlineUnit((ctx.cats.get(p.category) || {}).deadline_unit);

  // limitText is the category's time limit, e.g. "3 工作日".
  function limitText(p) {
    const c = ctx.cats.get(p.category) || {};
    return c.deadline_amount ? `${c.deadline_amount} ${deadlineUnit(c.deadline_unit)}` : '—';
  }

  function photos(ids) {
    if (!ids.length) return null;
    const box = h('div', { class: 'photos' });
    for (const id of ids) {
      const img = h('img', { alt: t('grid.photo'), loading: 'lazy' });
      box.append(h('a', { href: '#', onclick: (e) => { e.preventDefault(); if (img.src) open_(img.src); } }, img));
      photoURL(id).then((u) => {
        urls.push(u);
        img.src = u;
      }).catch(() => img.replaceWith(h('span', { class: 'muted' }, t('grid.photoMissing'))));
    }
    return h('section', {}, h('div', { class: 'section-title' }, t('grid.photos')), box);
  }

  function open_(src) {
    window.open(src, '_blank', 'noopener');
  }

  function actions(f) {
    const p = f.properties;
    const all = allowedFor(ctx.me.role, p.status, clockOf(p));
    const allowed = all.filter((a) => !CLOCK.includes(a));
    const box = h('section', { class: 'actions' }, h('div', { class: 'section-title' }, t('grid.actions')));
    const error = h('p', { class: 'action-error', role: 'alert' });
    if (!all.length) {
      box.append(h('div', { class: 'action-note' }, t(isOpen(p.status) ? 'grid.waitOthers' : 'grid.finished')));
    }
    const note = h('textarea', { name: 'note', placeholder: t('grid.notePlaceholder'), rows: 2 });
    const unit = h('select', { name: 'unit' }, [...ctx.units.values()].map((u) =>
      h('option', { value: u.code, selected: u.code === (p.unit || ctx.defaultUnit(p)) }, u.name)));
    const dup = h('input', { type: 'number', name: 'duplicate_of', min: 1, placeholder: t('grid.duplicateOf') });
    const buttons = h('div', { class: 'action-buttons' });
    const run = (action, extra) => act(f, action, { note: note.value.trim(), ...extra }, error);
    for (const a of allowed) {
      if (a === 'verify') {
        buttons.append(
          h('button', { class: 'btn btn-ok', type: 'button', dataset: { action: 'verify-pass' }, onclick: () => run('verify', { passed: true }) }, t('action.verifyPass')),
          h('button', { class: 'btn btn-danger', type: 'button', dataset: { action: 'verify-fail' }, onclick: () => run('verify', { passed: false }) }, t('action.verifyFail')));
      } else if (a === 'dispatch') {
        buttons.append(h('button', { class: 'btn btn-primary', type: 'button', dataset: { action: a }, onclick: () => run(a, { unit: unit.value }) }, actionName(a)));
      } else if (a === 'merge') {
        buttons.append(h('button', { class: 'btn', type: 'button', dataset: { action: a },
          onclick: () => (dup.value ? run(a, { duplicate_of: Number(dup.value) }) : (error.textContent = t('grid.needDuplicate'))) }, actionName(a)));
      } else {
        buttons.append(h('button', { class: `btn ${a === 'reject' ? 'btn-danger' : 'btn-primary'}`, type: 'button', dataset: { action: a }, onclick: () => run(a) }, actionName(a)));
      }
    }
    if (all.length) box.append(note);
    if (allowed.includes('dispatch')) box.append(h('label', { class: 'action-extra' }, t('grid.dispatchTo'), unit));
    if (allowed.includes('merge')) box.append(h('label', { class: 'action-extra' }, t('grid.mergeInto'), dup));
    box.append(buttons);
    const clock = clockSteps(all, { p, unit: unitName(p), run });
    if (clock) box.append(clock);
    if (isOpen(p.status) && ['admin', 'dispatcher', 'grid_manager'].includes(ctx.me.role)) box.append(photoAdder(f, error));
    box.append(error);
    return box;
  }

  function photoAdder(f, error) {
    const input = h('input', { type: 'file', accept: 'image/*', multiple: true, hidden: true,
      onchange: () => input.files.length && attach(f, [...input.files], error) });
    return h('div', { class: 'action-extra' },
      h('button', { class: 'btn btn-small', type: 'button', onclick: () => input.click() }, t('action.photos')), input);
  }

  async function attach(f, files, error) {
    const fd = new FormData();
    for (const file of files.slice(0, 5)) fd.append('photo', file, file.name);
    await write(() => post(`/api/v1/issues/${f.id}/photos`, fd, { headers: { 'If-Match': `"${shown.version}"` } }), 'update', error);
  }

  async function act(f, action, body, error) {
    await write(() => post(`/api/v1/issues/${f.id}/actions`, { action, ...body }, { headers: { 'If-Match': `"${shown.version}"` } }), action, error);
  }

  async function write(call, action, error) {
    if (busy) return;
    busy = true;
    error.textContent = '';
    for (const b of drawer.querySelectorAll('.actions button')) b.disabled = true;
    try {
      const f = await call();
      const name = CLOCK.includes(action) ? stepName(action) : actionName(action === 'update' ? 'photos' : action);
      toast(t('grid.done', { action: name, id: f.id }), 'ok');
      ctx.onIssue(f);
      busy = false;
      await open(f.id);
    } catch (err) {
      busy = false;
      await failed(err, error);
    }
  }

  async function failed(err, error) {
    if (!(err instanceof ApiError)) {
      error.textContent = t('grid.networkError');
      for (const b of drawer.querySelectorAll('.actions button')) b.disabled = false;
      return;
    }
    let message = err.message;
    if (err.status === 409) {
      const allowed = (err.allowed || []).map(actionName).join('、') || t('grid.none');
      const e = err.body.error;
      const status = statusName(e.status) + (e.suspended ? t('grid.andSuspended') : e.extension_pending ? t('grid.andPending') : '');
      message = t('grid.conflict', { status, allowed });
    } else if (err.status === 412) {
      message = t('grid.stale');
    } else if (err.status === 403) {
      message = t('grid.forbidden');
    } else if (err.status === 400) {
      message = badRequest(err);
    }
    const id = shown && shown.id;
    if (id && (err.status === 409 || err.status === 412)) await open(id).catch(() => {});
    const box = drawer.querySelector('.action-error');
    (box || error).textContent = message;
    for (const b of drawer.querySelectorAll('.actions button')) b.disabled = false;
  }

  // badRequest says in the page's language which field the server refused.
  function badRequest(err) {
    const f = err.fields || {};
    if (err.code === 'out_of_range' && f.amount) return t('grid.badAmount');
    if (f.amount) return t('grid.needAmount');
    if (f.reason) return t('grid.needReason');
    return t('grid.badInput');
  }

  function timeline(events) {
    const items = [...events].reverse().map((e) => {
      const color = e.to ? STATUS_COLORS[e.to] : 'var(--muted)';
      const rework = e.action === 'verify' && e.data && e.data.passed === false;
      const what = rework ? t('action.rework') : actionName(e.action === 'update' ? 'photos' : e.action);
      const to = e.to && e.from !== e.to && statusName(e.to) !== what ? statusName(e.to) : null;
      return h('li', { style: { '--c': rework ? OVERDUE : color } },
        h('div', { class: 'when' }, `${fmtDateTime(e.at)} · ${actorName(e.actor)}`),
        h('div', { class: 'what' }, what, to ? h('span', { class: 'chip', style: { '--c': color } }, to) : null),
        clockLine(e),
        e.note ? h('div', { class: 'note' }, e.note) : null);
    });
    return h('section', {}, h('div', { class: 'section-title' }, t('grid.timeline')), h('ol', { class: 'timeline' }, items));
  }

  // clockLine tells what a clock step recorded: the amount asked or granted,
  // the reason, the deadline it moved to.
  function clockLine(e) {
    const d = e.data || {};
    if (!CLOCK.includes(e.action)) return null;
    const parts = [];
    if (d.amount) parts.push(t('grid.amount', { n: d.amount, unit: deadlineUnit(d.deadline_unit) }));
    if (d.deadline_to) parts.push(t('grid.deadlineTo', { at: fmtDateTime(d.deadline_to) }));
    if (d.suspended_minutes != null) parts.push(t('grid.pausedFor', { d: fmtDuration(d.suspended_minutes * 60e3) }));
    if (d.reason) parts.push(t('grid.reasonIs', { reason: d.reason }));
    return parts.length ? h('div', { class: 'clock-data' }, parts.join(' · ')) : null;
  }

  return {
    open,
    close,
    refreshIfShown,
    get id() {
      return shown && shown.id;
    },
  };
}
