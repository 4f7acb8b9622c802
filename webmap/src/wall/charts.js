// The wall's two bar charts (ECharts): today's new cases by category, with
// the open ones, and by street, today's new and overdue now. Redrawn at most
// every CHART_MS: at ten cases a second they would be forever mid-animation,
// their labels on the move, and the page busy.
import { axisStyle, baseOption, chart, rem } from '../lib/charts.js';
import { now } from '../lib/clock.js';
import { $ } from '../lib/dom.js';
import { isZh, t } from '../lib/i18n.js';
import { ACCENT, OVERDUE, STATUS_COLORS } from '../lib/theme.js';
import { names } from './names.js';
import { bump } from './today.js';

const CHART_MS = 2000;
const TOP_CATEGORIES = 8;

// topCategories are the n categories with the most new cases today, then the
// most open ones.
export function topCategories(newToday, open, n = TOP_CATEGORIES) {
  const score = (c) => (newToday.get(c) || 0) * 1e6 + (open.get(c) || 0);
  return [...new Set([...newToday.keys(), ...open.keys()])].sort((a, b) => score(b) - score(a)).slice(0, n);
}

// streetOrder sorts the streets by today's new cases, then by the overdue.
export function streetOrder(streets, newToday, overdue) {
  return [...streets].sort((a, b) => (newToday.get(b) || 0) - (newToday.get(a) || 0) || (overdue.get(b) || 0) - (overdue.get(a) || 0));
}

// streetLabel is a street's name with the leaders linked to it (挂钩定片) on
// its line, their titles in brackets left out: ten rows of two-line labels
// overlap at the wall's sizes.
export function streetLabel(name, leader) {
  return leader ? `${name} · ${leader.replace(/（[^）]*）/g, '')}` : name;
}

function barOption(labels, series, size) {
  return {
    ...baseOption(size),
    // no animation between updates: moving labels would cross each other
    // (their overlap is judged where they come to rest)
    animationDurationUpdate: 0,
    grid: { left: 8, right: 24, top: size * 2.2, bottom: 4, containLabel: true },
    legend: { ...baseOption(size).legend, top: 0, right: 0, textStyle: { color: '#cbd5e1', fontSize: size * 0.9 } },
    tooltip: { ...baseOption(size).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1, ...axisStyle(size) },
    yAxis: { type: 'category', inverse: true, data: labels, ...axisStyle(size),
      axisLabel: { ...axisStyle(size).axisLabel, color: '#dbe7f5', fontSize: size * 0.95, width: size * (isZh() ? 7.5 : 12), overflow: 'truncate' } },
    series,
  };
}

function bar(name, data, color, size) {
  return { name, type: 'bar', data, barMaxWidth: size * 1.1, itemStyle: { color, borderRadius: [0, 3, 3, 0] },
    label: { show: true, position: 'right', color: '#e6edf7', fontSize: size * 0.85 },
    // two close values of neighbouring bars would print over each other: the later one gives way
    labelLayout: { hideOverlap: true } };
}

export class WallCharts {
  constructor() {
    this.category = chart($('#chart-category'));
    this.street = chart($('#chart-street'));
    this.at = 0;
    this.timer = 0;
    this.data = null;
  }

  // schedule draws the charts of today (a Today), the open issues and the
  // overdue ones (features), no sooner than CHART_MS after the last drawing.
  schedule(today, features, overdue, leaders) {
    this.data = [today, features, overdue, leaders];
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.at = now();
      this.draw(...this.data);
      this.data = null;
    }, Math.max(0, this.at + CHART_MS - now()));
  }

  draw(today, features, overdue, leaders) {
    const size = rem();
    const openBy = new Map();
    for (const f of features) bump(openBy, f.properties.category);
    const cats = topCategories(today.byCategory, openBy);
    this.category.set(barOption(cats.map((c) => names.cat(c)), [
      bar(t('wall.newToday'), cats.map((c) => today.byCategory.get(c) || 0), ACCENT, size),
      bar(t('wall.openNow'), cats.map((c) => openBy.get(c) || 0), STATUS_COLORS.dispatched, size),
    ], size));
    const overdueBy = new Map();
    for (const f of overdue) bump(overdueBy, f.properties.street);
    const streets = streetOrder(names.streets.keys(), today.byStreet, overdueBy);
    this.street.set(barOption(streets.map((c) => streetLabel(names.street(c), leaders.get(c))), [
      bar(t('wall.newToday'), streets.map((c) => today.byStreet.get(c) || 0), ACCENT, size),
      bar(t('wall.overdueNow'), streets.map((c) => overdueBy.get(c) || 0), OVERDUE, size),
    ], size));
  }
}
