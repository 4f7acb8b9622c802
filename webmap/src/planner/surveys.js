// 问卷: the results of a questionnaire — per question a bar chart of its
// answers, per community (or street) the respondents, 知晓率, 满意率 and the
// average rating in a table, and a choropleth of 知晓率 or 满意率 on the
// planner's map (a layer of its own, shown while "在地图上显示" is on).
// Self-contained: it builds its own card in the board; planner.js only
// creates it with the map.
import { get } from '../lib/api.js';
import { $, fill, h, toast } from '../lib/dom.js';
import { axisStyle, baseOption, chart, rem } from '../lib/charts.js';
import { fmtNumber, fmtPercent } from '../lib/format.js';
import { isZh } from '../lib/i18n.js';
import { addGeoJSON, empty, setData } from '../lib/map.js';
import { ACCENT } from '../lib/theme.js';

const STRINGS = {
  title: ['问卷调查结果', 'Questionnaire results'],
  survey: ['问卷', 'Survey'],
  measure: ['指标', 'Measure'],
  by: ['层级', 'Level'],
  awareness_rate: ['知晓率', 'Awareness'],
  satisfaction_rate: ['满意率', 'Satisfaction'],
  average_rating: ['平均评分', 'Avg rating'],
  respondents: ['样本数', 'Respondents'],
  community: ['社区', 'Community'],
  street: ['街道', 'Street'],
  name: ['名称', 'Name'],
  onMap: ['在地图上显示', 'Show on the map'],
  refresh: ['刷新', 'Refresh'],
  none: ['暂无问卷', 'No survey yet'],
  total: ['共 {n} 份答卷', '{n} responses'],
  answered: ['{n} 人作答', '{n} answered'],
  text: ['文字意见 {n} 条', '{n} comments'],
  noData: ['无数据', 'No data'],
};
const s = (k, vars = {}) => STRINGS[k][isZh() ? 0 : 1].replace(/\{(\w+)\}/g, (_, v) => vars[v]);

const RAMP = ['#dc2626', '#f97316', '#facc15', '#a3e635', '#14b8a6', '#0f766e'];
const NODATA = '#1e293b';

function card() {
  const el = h('section', { class: 'card card-wide', id: 'view-surveys' },
    h('div', { class: 'card-head' },
      h('h2', { class: 'panel-title', id: 'survey-title' }),
      h('div', { class: 'controls' },
        h('label', {}, h('span', { dataset: { s: 'survey' } }), h('select', { id: 'survey-pick' })),
        h('label', {}, h('span', { dataset: { s: 'measure' } }), h('select', { id: 'survey-measure' })),
        h('label', {}, h('span', { dataset: { s: 'by' } }), h('select', { id: 'survey-by' })),
        h('label', {}, h('input', { type: 'checkbox', id: 'survey-onmap' }), h('span', { dataset: { s: 'onMap' } }))),
      h('div', { class: 'survey-actions' }, h('button', { class: 'btn btn-small', type: 'button', id: 'survey-refresh', dataset: { s: 'refresh' } }))),
    h('p', { class: 'muted', id: 'survey-total' }),
    h('div', { class: 'survey-body' },
      h('div', { id: 'survey-questions', class: 'survey-questions' }),
      h('div', { class: 'survey-side' },
        h('div', { id: 'survey-legend', class: 'legend survey-legend' }),
        h('table', { class: 'table', id: 'survey-areas' }))));
  $('main.board').append(el);
  return el;
}

// createSurveys adds the panel; map is the planner's MapLibre map.
export function createSurveys({ map }) {
  const root = card();
  const state = { survey: '', measure: 'satisfaction_rate', by: 'community', onMap: false };
  let surveys = [];
  let report = null;
  let seq = 0;
  const charts = [];

  addGeoJSON(map, 'survey', empty(), [
    { id: 'survey-fill', type: 'fill', layout: { visibility: 'none' }, paint: { 'fill-color': NODATA, 'fill-opacity': 0.8 } },
    { id: 'survey-line', type: 'line', layout: { visibility: 'none' }, paint: { 'line-color': '#0b1526', 'line-width': 0.8 } },
  ]);

  function labels() {
    $('#survey-title').textContent = s('title');
    for (const el of root.querySelectorAll('[data-s]')) el.textContent = s(el.dataset.s);
    fill($('#survey-measure'), ['satisfaction_rate', 'awareness_rate', 'average_rating'].map((m) =>
      h('option', { value: m, selected: m === state.measure }, s(m))));
    fill($('#survey-by'), ['community', 'street'].map((b) => h('option', { value: b, selected: b === state.by }, s(b))));
  }

  function bind() {
    const on = (id, key, then) => $(id).addEventListener('change', () => {
      state[key] = $(id).type === 'checkbox' ? $(id).checked : $(id).value;
      then();
    });
    on('#survey-pick', 'survey', load);
    on('#survey-by', 'by', load);
    on('#survey-measure', 'measure', draw);
    on('#survey-onmap', 'onMap', draw);
    $('#survey-refresh').addEventListener('click', () => list().then(load));
  }

  async function list() {
    surveys = (await get('/api/v1/surveys')).surveys.filter((x) => x.status === 'published');
    if (!surveys.some((x) => String(x.id) === state.survey)) state.survey = surveys.length ? String(surveys[0].id) : '';
    fill($('#survey-pick'), surveys.length
      ? surveys.map((x) => h('option', { value: x.id, selected: String(x.id) === state.survey }, x.title))
      : h('option', { value: '' }, s('none')));
  }

  async function load() {
    const mine = ++seq;
    if (!state.survey) {
      report = null;
      draw();
      return;
    }
    const res = await get('/api/v1/reports/surveys', { survey: state.survey, by: state.by, format: 'geojson' });
    if (mine !== seq) return;
    report = res;
    root.dataset.survey = state.survey;
    draw();
  }

  function value(k, v) {
    if (v === null || v === undefined) return '—';
    return k === 'average_rating' ? v.toFixed(2) : k === 'respondents' ? fmtNumber(v) : fmtPercent(v);
  }

  function drawQuestions() {
    for (const c of charts.splice(0)) c.dispose();
    const box = $('#survey-questions');
    if (!report) return fill(box);
    fill(box, report.questions.map((q, i) => {
      const el = h('div', { class: 'chart chart-small', dataset: { question: q.id } });
      return h('div', { class: 'survey-q', dataset: { question: q.id } },
        h('h3', { class: 'section-title' }, `${i + 1}. `, q.text),
        h('span', { class: 'muted' }, s('answered', { n: fmtNumber(q.answered) }),
          q.average ? ` · ${s('average_rating')} ${q.average.toFixed(2)}` : ''),
        q.kind === 'text' ? h('p', { class: 'muted' }, s('text', { n: fmtNumber(q.answered) })) : el);
    }));
    const size = rem();
    for (const q of report.questions) {
      if (q.kind === 'text') continue;
      const bars = q.kind === 'rating'
        ? Object.keys(q.ratings).map((r) => ({ name: `${r}`, value: q.ratings[r] }))
        : q.options.map((o) => ({ name: o.text, value: o.count }));
      const c = chart(box.querySelector(`.chart[data-question="${CSS.escape(q.id)}"]`));
      charts.push(c);
      c.set({
        ...baseOption(size),
        grid: { left: 8, right: 24, top: 8, bottom: 4, containLabel: true },
        tooltip: { ...baseOption(size).tooltip, trigger: 'axis' },
        xAxis: { type: 'value', minInterval: 1, ...axisStyle(size) },
        yAxis: { type: 'category', inverse: true, data: bars.map((b) => b.name), ...axisStyle(size) },
        series: [{ type: 'bar', data: bars.map((b) => b.value), itemStyle: { color: ACCENT }, barMaxWidth: 16,
          label: { show: true, position: 'right', color: '#e6edf7', fontSize: size * 0.8 } }],
      }, true);
    }
  }

  function drawAreas() {
    const rows = report ? report.features.map((f) => f.properties) : [];
    const cols = ['respondents', 'awareness_rate', 'satisfaction_rate', 'average_rating'];
    fill($('#survey-areas'),
      h('thead', {}, h('tr', {}, h('th', {}, s(state.by)), cols.map((c) => h('th', { class: 'n' }, s(c))))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { code: r.code } },
        h('td', { class: 'name' }, r.name || r.code), cols.map((c) => h('td', { class: 'n', dataset: { col: c } }, value(c, r[c])))))));
    $('#survey-total').textContent = report ? s('total', { n: fmtNumber(report.respondents) }) : '';
  }

  function drawMap() {
    const visible = state.onMap && report ? 'visible' : 'none';
    for (const id of ['survey-fill', 'survey-line']) map.setLayoutProperty(id, 'visibility', visible);
    const prop = state.measure;
    const vals = report ? report.features.map((f) => f.properties[prop]).filter((v) => typeof v === 'number') : [];
    const [min, max] = state.measure === 'average_rating' ? [1, 5] : [0, 1];
    const stops = RAMP.flatMap((c, i) => [min + ((max - min) * i) / (RAMP.length - 1), c]);
    map.setPaintProperty('survey-fill', 'fill-color',
      ['case', ['==', ['typeof', ['get', prop]], 'number'], ['interpolate', ['linear'], ['get', prop], ...stops], NODATA]);
    setData(map, 'survey', report || empty());
    const grad = RAMP.map((c, i) => `${c} ${(i / (RAMP.length - 1)) * 100}%`).join(',');
    fill($('#survey-legend'), h('div', {}, s(prop)),
      h('div', { class: 'ramp', style: { background: `linear-gradient(90deg, ${grad})` } }),
      h('div', { class: 'ends' }, h('span', {}, value(prop, min)), h('span', {}, value(prop, max))),
      vals.length < (report ? report.features.length : 0) ? h('div', { class: 'nodata' }, h('i'), s('noData')) : null);
  }

  function draw() {
    labels();
    drawQuestions();
    drawAreas();
    drawMap();
  }

  labels();
  bind();
  return {
    async load() {
      try {
        await list();
        await load();
      } catch (err) {
        toast(err.message, 'error');
      }
    },
    redraw: draw,
  };
}
