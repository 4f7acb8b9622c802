// 谁丢分、谁负责: the responsible units and the indicators ranked by the points
// lost in the period's inspections, with the change against the period before.
import { get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { fmtNumber, fmtPercent } from '../lib/format.js';
import { t } from '../lib/i18n.js';

const TOP = 10;

function change(r) {
  if (r.delta === null || r.delta === undefined) return h('span', { class: 'muted' }, t('planner.newEntry'));
  if (r.delta > 0) return h('span', { class: 'down' }, `▲${fmtNumber(r.delta)}`); // more lost: worse
  if (r.delta < 0) return h('span', { class: 'up' }, `▼${fmtNumber(-r.delta)}`);
  return h('span', { class: 'muted' }, '—');
}

function table(el, head, rows, cells) {
  if (!rows.length) {
    fill(el, h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, t('planner.noRanked')))));
    return;
  }
  fill(el, h('thead', {}, h('tr', {}, head.map(([k, n]) => h('th', { class: n ? 'n' : '' }, t(k))))),
    h('tbody', {}, rows.map((r) => h('tr', { dataset: { code: r.unit || r.indicator } }, cells(r)))));
}

// createLosses returns the two views of the planner: units and indicators.
export function createLosses(ctx) {
  let seq = 0;
  const units = {
    request: (format) => ({ path: '/api/v1/reports/units', params: { ...ctx.range(), format } }),
    async load() {
      const mine = ++seq;
      const res = await get('/api/v1/reports/units', ctx.range());
      if (mine !== seq) return;
      const rows = res.rows.filter((r) => r.rank !== null).slice(0, TOP);
      table($('#loss-units'), [['planner.colRank'], ['planner.colUnit'], ['planner.colLost', true], ['planner.colChange', true],
        ['planner.colClosure', true], ['planner.colTasks', true]], rows, (r) => [
        h('td', {}, h('span', { class: 'rank' }, r.rank)),
        h('td', { class: 'name', title: r.top_indicators }, r.name),
        h('td', { class: 'n' }, fmtNumber(r.points_lost)),
        h('td', { class: 'n' }, change(r)),
        h('td', { class: 'n' }, fmtPercent(r.closure_rate)),
        h('td', { class: 'n' }, `${fmtNumber(r.tasks_done)} / ${fmtNumber(r.tasks_overdue)}`)]);
    },
  };
  let iseq = 0;
  const indicators = {
    request: (format) => ({ path: '/api/v1/reports/indicators', params: { ...ctx.range(), format } }),
    async load() {
      const mine = ++iseq;
      const res = await get('/api/v1/reports/indicators', ctx.range());
      if (mine !== iseq) return;
      const rows = res.rows.filter((r) => r.rank !== null).slice(0, TOP);
      table($('#loss-indicators'), [['planner.colRank'], ['planner.colIndicator'], ['planner.colLost', true], ['planner.colChange', true],
        ['planner.colLead']], rows, (r) => [
        h('td', {}, h('span', { class: 'rank' }, r.rank)),
        h('td', { class: 'name', title: r.parent_name || '' }, `${r.parent_name ? r.parent_name + ' · ' : ''}${r.name}`),
        h('td', { class: 'n' }, fmtNumber(r.points_lost)),
        h('td', { class: 'n' }, change(r)),
        h('td', { class: 'muted' }, r.lead_unit_name || '—')]);
    },
  };
  return { units, indicators };
}
