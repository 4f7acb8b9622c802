// Dates, numbers and durations as the city reads them: times in the city's zone
// (the server's --timezone, which it writes into each page as <html
// data-city-tz>; China Standard Time when missing), whatever the browser's
// zone is. "Now" is the pages' clock (clock.js), which a test may shift.
import { nowDate } from './clock.js';
import { lang, t } from './i18n.js';

const zoneOf = () => {
  const z = typeof document !== 'undefined' && document.documentElement.dataset.cityTz;
  try {
    if (z) new Intl.DateTimeFormat('en', { timeZone: z });
    return z || 'Asia/Shanghai';
  } catch {
    return 'Asia/Shanghai';
  }
};
export const CITY_TZ = zoneOf();
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

const partsFmt = new Intl.DateTimeFormat('en-US', { timeZone: CITY_TZ, hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

// offsetAt is the city's UTC offset (ms) at an instant.
function offsetAt(ms) {
  const p = {};
  for (const { type, value } of partsFmt.formatToParts(new Date(ms))) p[type] = value;
  const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return local - Math.floor(ms / 1000) * 1000;
}

// cityDate is the city's calendar date of an instant, YYYY-MM-DD.
export function cityDate(d = nowDate()) {
  const ms = asDate(d).getTime();
  return new Date(ms + offsetAt(ms)).toISOString().slice(0, 10);
}

// startOfDay is the instant the city's day of d began (its local midnight; the
// offset is read again there, for zones that change it).
export function startOfDay(d = nowDate()) {
  const midnight = Date.parse(cityDate(d) + 'T00:00:00Z');
  let at = midnight - offsetAt(asDate(d).getTime());
  at = midnight - offsetAt(at);
  return new Date(at);
}

// addDays shifts a YYYY-MM-DD date.
export function addDays(date, n) {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * DAY).toISOString().slice(0, 10);
}

// isoCity writes an instant as RFC 3339 with the city's offset.
export function isoCity(d) {
  const ms = asDate(d).getTime();
  const off = offsetAt(ms);
  const m = Math.abs(off) / 60000;
  const sign = off < 0 ? '-' : '+';
  const hh = String(Math.floor(m / 60)).padStart(2, '0');
  const mm = String(m % 60).padStart(2, '0');
  return new Date(ms + off).toISOString().slice(0, 19) + `${sign}${hh}:${mm}`;
}

export const fmtClock = (d = nowDate()) => formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(asDate(d));
export const fmtTime = (v) => (v ? formatter({ hour: '2-digit', minute: '2-digit' }).format(asDate(v)) : '—');
export const fmtDateTime = (v) =>
  v ? formatter({ month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(asDate(v)) : '—';
export const fmtDay = (d = nowDate()) =>
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
