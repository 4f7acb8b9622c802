// /tasks' declarations (待申报): a unit's declarations by deadline with their
// reminders; the unit attaches materials (files with a caption, text), removes
// them and submits; its leader approves or returns the submitted ones. Kept
// current by the live `declarations` layer.
import { get, post, request } from '../lib/api.js';
import { actionBox, editable, errorText, facts, getDeclaration, history, lastReturn, listItem, materials,
  lateChip, reminderBadge, statusChip } from '../lib/declarations.js';
import { $, debounce, fill, h, toast } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const FILTERS = {
  todo: { status: 'draft,returned' },
  review: { status: 'submitted,unit_approved' },
  accepted: { status: 'accepted' },
  all: {},
};
// A leader's "review" is what waits for it: the submitted ones.
const LEADER_REVIEW = { status: 'submitted' };

export class UnitDeclarations {
  // names: {unit(code), indicator(declaration)}; onShow: called when a
  // declaration takes the detail pane.
  constructor({ me, names, onShow }) {
    this.me = me;
    this.names = names;
    this.onShow = onShow;
    this.leader = me.role === 'unit_leader';
    this.filter = this.leader ? 'review' : 'todo';
    if (this.leader) document.querySelector('.seg[data-dfilter=review]').dataset.i18n = 'decl.filterLeader';
    this.list = [];
    this.selected = null;
    this.current = null;
    this.reloadSoon = debounce(() => this.reload().catch((e) => console.warn('declarations:', e.message)), 300);
    for (const b of document.querySelectorAll('.seg[data-dfilter]')) b.addEventListener('click', () => this.setFilter(b.dataset.dfilter));
    this.pressFilter();
  }

  pressFilter() {
    for (const b of document.querySelectorAll('.seg[data-dfilter]')) b.setAttribute('aria-pressed', String(b.dataset.dfilter === this.filter));
  }

  setFilter(name) {
    this.filter = name;
    this.pressFilter();
    this.reloadSoon();
  }

  async reload() {
    const params = { ...(this.leader && this.filter === 'review' ? LEADER_REVIEW : FILTERS[this.filter]), limit: 500 };
    if (this.me.unit) params.unit = this.me.unit;
    const res = await get('/api/v1/declarations', params);
    this.list = [...res.declarations].sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
    const due = this.list.filter((d) => d.reminder).length;
    $('#decl-summary').textContent = t('decl.summary', { n: res.total, due });
    this.renderList();
  }

  renderList() {
    if (!this.list.length) {
      fill($('#decl-list'), h('li', { class: 'empty' }, t('decl.none')));
      return;
    }
    fill($('#decl-list'), this.list.map((d) => listItem(d, { selected: this.selected, names: this.names, onSelect: (id) => this.select(id) })));
  }

  async select(id) {
    this.selected = id;
    for (const li of document.querySelectorAll('#decl-list .decl')) li.setAttribute('aria-current', String(li.dataset.declarationId === String(id)));
    const d = await getDeclaration(id);
    this.current = d;
    this.onShow();
    this.render(d);
  }

  // onChange takes a live change of the declarations layer: the list is read
  // again, and the open declaration too when its status or version moved.
  onChange(frame) {
    this.reloadSoon();
    const p = frame.feature && frame.feature.properties;
    if (this.current && String(frame.id) === String(this.current.id) && p &&
        (p.status !== this.current.status || (p.version !== undefined && p.version !== this.current.version))) {
      this.select(this.current.id).catch(() => {});
    }
  }

  render(d) {
    const canEdit = editable(this.me.role, d.status);
    fill($('#detail'),
      h('div', { class: 'drawer-head' }, h('h2', {}, this.names.indicator(d), h('span', { class: 'id' }, `#${d.id}`))),
      h('div', { class: 'chips' }, statusChip(d.status), reminderBadge(d.reminder), lateChip(d)),
      d.status === 'returned' ? lastReturn(d.events) : null,
      facts(d, this.names),
      h('div', { class: 'section-title' }, t('decl.materials')),
      materials(d.materials, { onRemove: canEdit ? (m) => this.remove(d, m) : null }),
      canEdit ? this.addBox(d) : null,
      actionBox(d, this.me.role, () => this.after().catch((e) => toast(t('tasks.failed', { message: e.message }), 'error'))),
      h('div', { class: 'section-title' }, t('tasks.history')),
      history(d.events));
  }

  async after() {
    await Promise.all([this.reload(), this.select(this.selected)]);
  }

  // addBox attaches a file (uploaded to /documents first) or a text, each
  // with a caption.
  addBox(d) {
    const caption = h('input', { type: 'text', name: 'caption', maxlength: 200, placeholder: t('decl.captionPlaceholder') });
    const file = h('input', { type: 'file', name: 'file', accept: '.pdf,.docx,.xlsx,image/jpeg,image/png,image/webp' });
    const text = h('textarea', { name: 'text', rows: 3, placeholder: t('decl.textPlaceholder') });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      if (!f) return;
      file.disabled = true;
      try {
        await this.attachFile(d, f, caption.value.trim());
        toast(t('tasks.uploaded', { file: f.name }), 'ok');
        await this.select(d.id);
      } catch (err) {
        toast(t('tasks.failed', { message: errorText(err) }), 'error');
        file.disabled = false;
        file.value = '';
      }
    });
    const addText = h('button', { type: 'button', class: 'btn btn-small', dataset: { add: 'text' }, onclick: async () => {
      if (!text.value.trim()) return;
      try {
        await post(`/api/v1/declarations/${d.id}/materials`, { kind: 'text', text: text.value.trim(), caption: caption.value.trim() });
        await this.select(d.id);
      } catch (err) {
        toast(t('tasks.failed', { message: errorText(err) }), 'error');
      }
    } }, t('decl.addText'));
    return h('div', { class: 'task-actions decl-add' },
      h('label', { class: 'section-title' }, t('decl.caption'), caption),
      h('label', { class: 'section-title' }, t('tasks.files'), file),
      h('label', { class: 'section-title' }, t('decl.text'), text),
      h('div', { class: 'buttons' }, addText));
  }

  async attachFile(d, f, caption) {
    const fd = new FormData();
    fd.append('file', f, f.name);
    // images too go to /documents: a declaration's files are documents (a
    // photo material is one taken for an issue or task, from /photos)
    const doc = await post('/api/v1/documents', fd);
    await post(`/api/v1/declarations/${d.id}/materials`, { kind: 'document', document: doc.id, caption });
  }

  async remove(d, m) {
    try {
      await request(`/api/v1/declarations/${d.id}/materials/${m.id}`, { method: 'DELETE' });
      await this.select(d.id);
    } catch (err) {
      toast(t('tasks.failed', { message: errorText(err) }), 'error');
    }
  }
}
