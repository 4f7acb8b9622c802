// The clock's steps in the case drawer (docs/DEADLINES.md): asking for more
// time (申请延期), the command centre's answer (批准延期/不予延期), and
// stopping the clock while the case waits for a third party (挂起/恢复). Which
// of them are offered comes from lib/workflow.js, as for the other steps.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

// deadlineUnit names a category's deadline_unit: 工作小时, 工作日, 小时.
export const deadlineUnit = (unit) => (unit ? t('deadlineUnit.' + unit) : '');

const BUTTONS = { extend_request: 'extendRequest', extend_grant: 'extendGrant', extend_refuse: 'extendRefuse', suspend: 'suspend', resume: 'resume' };

// stepName is a clock step as its button says it (申请延期, 批准延期 …), for the
// toast that confirms it; the timeline names what happened (延期申请 …).
export const stepName = (action) => t('grid.btn.' + BUTTONS[action]);

// clockSteps builds the forms and buttons of the clock steps in allowed, or
// null when there are none; run(action, body) takes the step.
export function clockSteps(allowed, { p, unit, run }) {
  const parts = [];
  if (allowed.includes('extend_request')) parts.push(requestForm(unit, run));
  if (allowed.includes('extend_grant') || allowed.includes('extend_refuse')) parts.push(answerForm(allowed, p, unit, run));
  if (allowed.includes('suspend')) parts.push(suspendForm(run));
  if (allowed.includes('resume')) {
    parts.push(h('div', { class: 'clock-step action-buttons' },
      h('button', { class: 'btn btn-primary', type: 'button', dataset: { action: 'resume' }, onclick: () => run('resume') }, stepName('resume'))));
  }
  return parts.length ? h('div', { class: 'clock-steps' }, parts) : null;
}

// amountOf is the number typed, or undefined when the field is empty (the
// server then answers that it is required, or grants what was asked).
function amountOf(input) {
  const v = input.value.trim();
  return v === '' ? undefined : Number(v);
}

function requestForm(unit, run) {
  const amount = h('input', { type: 'number', name: 'extend_amount', min: 1, max: 720, step: 1, class: 'amount' });
  const reason = h('input', { type: 'text', name: 'extend_reason', maxlength: 500, placeholder: t('grid.reasonPlaceholder') });
  return h('div', { class: 'clock-step', dataset: { step: 'extend_request' } },
    h('div', { class: 'section-title' }, stepName('extend_request')),
    h('label', { class: 'action-extra' }, t('grid.extendAmount'), amount, h('span', { class: 'unit' }, unit)),
    h('label', { class: 'action-extra' }, t('grid.reason'), reason),
    h('div', { class: 'action-buttons' },
      h('button', { class: 'btn btn-primary', type: 'button', dataset: { action: 'extend_request' },
        onclick: () => run('extend_request', { amount: amountOf(amount), reason: reason.value.trim() }) }, stepName('extend_request'))));
}

function answerForm(allowed, p, unit, run) {
  const amount = h('input', { type: 'number', name: 'grant_amount', min: 1, max: 720, step: 1, class: 'amount',
    placeholder: String(p.extension_requested) });
  return h('div', { class: 'clock-step', dataset: { step: 'extend_answer' } },
    h('div', { class: 'section-title' }, t('grid.pendingRequest', { n: p.extension_requested, unit })),
    allowed.includes('extend_grant') ? h('label', { class: 'action-extra' }, t('grid.grantAmount'), amount, h('span', { class: 'unit' }, unit)) : null,
    h('div', { class: 'action-buttons' },
      allowed.includes('extend_grant') ? h('button', { class: 'btn btn-ok', type: 'button', dataset: { action: 'extend_grant' },
        onclick: () => run('extend_grant', { amount: amountOf(amount) }) }, stepName('extend_grant')) : null,
      allowed.includes('extend_refuse') ? h('button', { class: 'btn btn-danger', type: 'button', dataset: { action: 'extend_refuse' },
        onclick: () => run('extend_refuse') }, stepName('extend_refuse')) : null));
}

function suspendForm(run) {
  const reason = h('input', { type: 'text', name: 'suspend_reason', maxlength: 500, placeholder: t('grid.suspendPlaceholder') });
  return h('div', { class: 'clock-step', dataset: { step: 'suspend' } },
    h('label', { class: 'action-extra' }, t('grid.reason'), reason),
    h('div', { class: 'action-buttons' },
      h('button', { class: 'btn', type: 'button', dataset: { action: 'suspend' },
        onclick: () => run('suspend', { reason: reason.value.trim() }) }, stepName('suspend'))));
}
