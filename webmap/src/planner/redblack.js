// The red/black list (红黑榜): the best and worst points, units or areas of the
// period by a figure, with the change of rank since the period before.
import { get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { fmtNumber, fmtPercent } from '../lib/format.js';
import { t } from '../lib/i18n.js';

export const ENTITIES = ['areas', 'units', 'points'];
const METRICS = { points: ['score'], units: ['score', 'closure_rate', 'on_time_rate', 'rework_rate'], areas: ['score', 'closure_rate', 'on_time_rate', 'rework_rate'] };

export function metricsFor(entity) {
  return METRICS[entity];
}

export function createRedBlack(ctx) {
  let seq = 0;

  function request(format) {
    const s = ctx.state;
    const params = { ...ctx.range(), entity: s.entity, metric: s.metric, n: 10, format };
    if (s.entity === 'areas') params.level = s.level;
    return { path: '/api/v1/reports/redblack', params };
  }

  const value = (v) => (ctx.state.metric === 'score' ? (v === null ? '—' : v.toFixed(1)) : fmtPercent(v));

  function basis(r) {
    if (r.inspections !== undefined) return t('planner.basisInspections', { n: fmtNumber(r.inspections) });
    if (r.points !== undefined) return t('planner.basisPoints', { n: fmtNumber(r.points) });
    if (r.due !== undefined) return t('planner.basisDue', { n: fmtNumber(r.due) });
    if (r.closed !== undefined) return t('planner.basisClosed', { n: fmtNumber(r.closed) });
    return '';
  }

  function change(r) {
    if (r.rank_change === null || r.rank_change === undefined) return h('span', { class: 'muted' }, t('planner.newEntry'));
    if (r.rank_change > 0) return h('span', { class: 'up' }, `▲${r.rank_change}`);
    if (r.rank_change < 0) return h('span', { class: 'down' }, `▼${-r.rank_change}`);
    return h('span', { class: 'muted' }, '—');
  }

  function table(el, rows) {
    if (!rows.length) {
      fill(el, h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, t('planner.noRanked')))));
      return;
    }
    fill(el,
      h('thead', {}, h('tr', {}, h('th', {}, t('planner.rank')), h('th', {}, t('planner.name')), h('th', { class: 'n' }, t('measure.' + ctx.state.metric)),
        h('th', { class: 'n' }, t('planner.basis')), h('th', { class: 'n' }, t('planner.rankChange')))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', {}, h('span', { class: 'rank' }, r.rank)),
        h('td', { class: 'name', title: r.name || r.unit }, r.name || r.unit || r.code),
        h('td', { class: 'n' }, value(r.value)),
        h('td', { class: 'n muted' }, basis(r)),
        h('td', { class: 'n' }, change(r))))));
  }

  async function load() {
    const mine = ++seq;
    const { path, params } = request('json');
    const res = await get(path, params);
    if (mine !== seq) return;
    table($('#red'), res.rows.filter((r) => r.list === 'red'));
    table($('#black'), res.rows.filter((r) => r.list === 'black'));
  }

  return { load, request, hasGeoJSON: () => ctx.state.entity === 'areas' };
}
