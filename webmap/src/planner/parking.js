// Parking utilization: a zone × hour-of-day heatmap of the average share of
// spaces taken, for the busiest zones of the period.
import { HeatmapChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import { get } from '../lib/api.js';
import { $, h } from '../lib/dom.js';
import { axisStyle, baseOption, chart, echarts, rem } from '../lib/charts.js';
import { fmtPercent } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { RAMP } from '../lib/theme.js';

echarts.use([HeatmapChart, VisualMapComponent]);

const TOP = 20;

export function createParkingView(ctx) {
  const c = chart($('#chart-parking'));
  let zones = [];
  let seq = 0;

  const request = (format) => ({ path: '/api/v1/reports/parking', params: { ...ctx.range(), by: format === 'geojson' ? 'zone' : 'hour', format } });

  async function load() {
    const mine = ++seq;
    const res = await get('/api/v1/reports/parking', { ...ctx.range(), by: 'hour' });
    if (mine !== seq) return;
    const byZone = new Map();
    for (const r of res.rows) {
      let z = byZone.get(r.zone);
      if (!z) byZone.set(r.zone, (z = { code: r.zone, name: r.name, kind: r.kind, hours: new Array(24).fill(null), sum: 0, n: 0 }));
      if (r.utilization !== null) {
        z.hours[r.hour] = r.utilization;
        z.sum += r.utilization;
        z.n++;
      }
    }
    zones = [...byZone.values()].filter((z) => z.n).sort((a, b) => b.sum / b.n - a.sum / a.n).slice(0, TOP);
    $('#parking-note').textContent = t('planner.parkingNote', { n: zones.length, total: byZone.size });
    draw();
  }

  function draw() {
    const size = rem();
    const base = baseOption(size);
    const data = zones.flatMap((z, y) => z.hours.map((u, x) => [x, y, u === null ? '-' : Math.round(u * 1000) / 1000]));
    c.set({
      ...base,
      // ECharts puts a formatter's string into the tooltip as HTML: build elements
      // instead, so that a zone's name is text whatever it holds.
      tooltip: { ...base.tooltip, formatter: (p) => h('div', {}, zones[p.value[1]].name, h('br'), `${p.value[0]}:00 · ${fmtPercent(p.value[2])}`) },
      grid: { left: 8, right: size * 5, top: 8, bottom: 4, containLabel: true },
      xAxis: { type: 'category', data: [...Array(24).keys()].map((x) => `${x}:00`), ...axisStyle(size), splitArea: { show: false } },
      yAxis: { type: 'category', inverse: true, data: zones.map((z) => `${z.name}${z.kind === 'tidal' ? ' ⇅' : ''}`), ...axisStyle(size),
        axisLabel: { ...axisStyle(size).axisLabel, color: '#dbe7f5', width: size * 13, overflow: 'truncate' } },
      visualMap: { min: 0, max: 1, calculable: false, orient: 'vertical', right: 0, top: 'middle', itemHeight: size * 14,
        inRange: { color: RAMP }, text: ['100%', '0%'], textStyle: { color: '#8aa0c2', fontSize: size * 0.85 } },
      series: [{ type: 'heatmap', data, itemStyle: { borderColor: '#0b1526', borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: '#fff', borderWidth: 1 } } }],
    }, true);
  }

  return { load, request, redraw: draw };
}
