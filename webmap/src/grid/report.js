// Reporting a new issue: pick the spot on the map (the marker can be dragged),
// choose the category, describe it, add a photo; the photo is uploaded first and
// its id goes with the issue (source grid_patrol).
import { post, uploadPhoto } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { t, catName } from '../lib/i18n.js';
import { Marker } from '../lib/map.js';

export function createReporter(ctx) {
  const button = $('#report');
  const hint = $('#pick-hint');
  const drawer = $('#drawer');
  const wrap = $('.map-wrap');
  let picking = false;
  let marker = null;
  let preview = null;

  function cancel() {
    picking = false;
    wrap.classList.remove('picking');
    hint.hidden = true;
    if (marker) marker.remove();
    marker = null;
    if (preview) URL.revokeObjectURL(preview);
    preview = null;
  }

  button.addEventListener('click', () => {
    ctx.closeDetail();
    cancel();
    picking = true;
    wrap.classList.add('picking');
    hint.hidden = false;
  });

  ctx.map.on('click', (e) => {
    if (!picking) return;
    picking = false;
    wrap.classList.remove('picking');
    hint.hidden = true;
    const el = h('div', { class: 'report-marker' });
    marker = new Marker({ element: el, draggable: true, anchor: 'bottom' }).setLngLat(e.lngLat).addTo(ctx.map);
    form(marker);
  });

  function categorySelect() {
    const groups = { component: [], event: [] };
    for (const c of ctx.cats.values()) (groups[c.class] || groups.event).push(c);
    return h('select', { name: 'category', required: true },
      h('option', { value: '' }, t('grid.chooseCategory')),
      Object.entries(groups).map(([cls, cats]) => h('optgroup', { label: t('grid.class.' + cls) },
        cats.map((c) => h('option', { value: c.code }, catName(c))))));
  }

  function form(m) {
    const where = h('span', { class: 'where' });
    const showWhere = () => {
      const { lng, lat } = m.getLngLat();
      where.textContent = `${lng.toFixed(6)}, ${lat.toFixed(6)}`;
    };
    showWhere();
    m.on('drag', showWhere);
    const img = h('img', { class: 'preview', hidden: true, alt: '' });
    const photo = h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment', onchange: () => {
      if (preview) URL.revokeObjectURL(preview);
      preview = photo.files[0] ? URL.createObjectURL(photo.files[0]) : null;
      img.src = preview || '';
      img.hidden = !preview;
    } });
    const error = h('p', { class: 'action-error', role: 'alert' });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('grid.submitReport'));
    const f = h('form', { class: 'report-form' },
      h('label', {}, t('grid.location'), where),
      h('label', {}, t('grid.category'), categorySelect()),
      h('label', {}, t('grid.description'), h('textarea', { name: 'description', required: true, placeholder: t('grid.describe') })),
      h('label', {}, t('grid.address'), h('input', { type: 'text', name: 'address', placeholder: t('grid.addressHint') })),
      h('label', {}, t('grid.photo'), photo, img),
      error,
      h('div', { class: 'action-buttons' }, submit,
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => { cancel(); drawer.hidden = true; drawer.replaceChildren(); } }, t('grid.cancel'))));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      try {
        const issue = await send(f, m, photo.files[0]);
        toast(t('grid.reported', { id: issue.id }), 'ok');
        cancel();
        ctx.onIssue(issue);
        ctx.openDetail(issue.id);
      } catch (err) {
        error.textContent = err.fields ? Object.values(err.fields).join('；') || err.message : err.message;
        submit.disabled = false;
      }
    });
    drawer.hidden = false;
    fill(drawer,
      h('div', { class: 'drawer-head' }, h('h2', {}, t('grid.reportTitle')),
        h('button', { class: 'close', type: 'button', 'aria-label': t('grid.close'), onclick: () => { cancel(); drawer.hidden = true; } }, '×')),
      h('p', { class: 'muted' }, t('grid.reportHint')),
      f);
  }

  async function send(f, m, file) {
    const data = new FormData(f);
    const photos = [];
    if (file) photos.push((await uploadPhoto(file)).id);
    const { lng, lat } = m.getLngLat();
    return post('/api/v1/issues', {
      category: data.get('category'),
      source: 'grid_patrol',
      description: String(data.get('description') || '').trim(),
      address: String(data.get('address') || '').trim(),
      location: { type: 'Point', coordinates: [Number(lng.toFixed(7)), Number(lat.toFixed(7))] },
      photos,
    });
  }

  return { cancel };
}
