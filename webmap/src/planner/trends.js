// Trends: issues reported and closed per day or week, with the closure and
// on-time rates of each.
import { get } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { axisStyle, baseOption, chart, rem } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { ACCENT, STATUS_COLORS } from '../lib/theme.js';

export function createTrends(ctx) {
  const c = chart($('#chart-trends'));
  let rows = [];
  let seq = 0;

  const request = (format) => ({ path: '/api/v1/reports/trends', params: { ...ctx.range(), interval: ctx.state.interval, format } });

  async function load() {
    const mine = ++seq;
    const { path, params } = request('json');
    const res = await get(path, params);
    if (mine !== seq) return;
    rows = res.rows;
    draw();
  }

  function draw() {
    const size = rem();
    const pct = (v) => (v === null ? null : Math.round(v * 1000) / 10);
    const base = baseOption(size);
    c.set({
      ...base,
      grid: { left: 8, right: 8, top: size * 2.6, bottom: 4, containLabel: true },
      legend: { ...base.legend, top: 0, left: 0 },
      tooltip: { ...base.tooltip, trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map((r) => r.period.slice(5)), ...axisStyle(size) },
      yAxis: [
        { type: 'value', name: t('planner.cases'), minInterval: 1, ...axisStyle(size) },
        { type: 'value', name: '%', min: 0, max: 100, ...axisStyle(size), splitLine: { show: false } },
      ],
      series: [
        { name: t('measure.new'), type: 'bar', data: rows.map((r) => r.new), itemStyle: { color: ACCENT }, barMaxWidth: 18 },
        { name: t('measure.closed'), type: 'bar', data: rows.map((r) => r.closed), itemStyle: { color: STATUS_COLORS.closed }, barMaxWidth: 18 },
        { name: t('measure.closure_rate'), type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.closure_rate)), smooth: true, symbol: 'none', lineStyle: { width: 2.5, color: '#facc15' }, itemStyle: { color: '#facc15' } },
        { name: t('measure.on_time_rate'), type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.on_time_rate)), smooth: true, symbol: 'none', lineStyle: { width: 2.5, color: '#f97316' }, itemStyle: { color: '#f97316' } },
      ],
    }, true);
  }

  return { load, request, redraw: draw };
}
