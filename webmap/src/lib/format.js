// Dates, numbers and durations as the city reads them: times in the city's zone
// (China Standard Time, no daylight saving), whatever the browser's zone is.
import { lang, t } from './i18n.js';

export const CITY_TZ = 'Asia/Shanghai';
const OFFSET = 8 * 3600 * 1000;
const DAY = 24 * 3600 * 1000;

const cache = new Map();
function formatter(opts) {
  const key = lang() + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang(), { timeZone: CITY_TZ, hourCycle: 'h23', ...opts });
    cache.set(key, f);
  }
  return f;
}

const asDate = (v) => (v instanceof Date ? v : new Date(v));

// cityDate is the city's calendar date of an instant, YYYY-MM-DD.
export function cityDate(d = new Date()) {
  return new Date(asDate(d).getTime() + OFFSET).toISOString().slice(0, 10);
}

// startOfDay is the instant the city's day of d began.
export function startOfDay(d = new Date()) {
  const ms = asDate(d).getTime() + OFFSET;
  return new Date(ms - (ms % DAY) - OFFSET);
}

// addDays shifts a YYYY-MM-DD date.
export function addDays(date, n) {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * DAY).toISOString().slice(0, 10);
}

// isoCity writes an instant as RFC 3339 with the city's offset.
export function isoCity(d) {
  return new Date(asDate(d).getTime() + OFFSET).toISOString().slice(0, 19) + '+08:00';
}

export const fmtClock = (d = new Date()) => formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(asDate(d));
export const fmtTime = (v) => (v ? formatter({ hour: '2-digit', minute: '2-digit' }).format(asDate(v)) : '—');
export const fmtDateTime = (v) =>
  v ? formatter({ month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(asDate(v)) : '—';
export const fmtDay = (d = new Date()) =>
  formatter({ year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }).format(asDate(d));

export function fmtNumber(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(lang()).format(n);
}

export function fmtPercent(x, digits = 1) {
  if (x === null || x === undefined) return '—';
  return (x * 100).toFixed(digits) + '%';
}

export function fmtHours(h) {
  if (h === null || h === undefined) return '—';
  return t('unit.hours', { n: h.toFixed(1) });
}

// fmtDuration is a span of time in its two largest units: 3天5小时, 2h 10m.
export function fmtDuration(ms) {
  const m = Math.max(0, Math.floor(ms / 60000));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return t('dur.dh', { d, h });
  if (h > 0) return t('dur.hm', { h, m: min });
  return t('dur.m', { m: min });
}

export function fmtMetres(m) {
  if (m === null || m === undefined) return '—';
  return m >= 1000 ? (m / 1000).toFixed(1) + ' km' : Math.round(m) + ' m';
}
