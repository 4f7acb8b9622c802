// The city's calendar and the formatters, in the city's zone whatever the
// machine's (no <html data-city-tz> here: China Standard Time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, CITY_TZ, cityDate, fmtDuration, fmtMetres, fmtNumber, fmtPercent, isoCity, startOfDay } from './format.js';
import { t } from './i18n.js';

test('the city is China Standard Time without a data-city-tz', () => {
  assert.equal(CITY_TZ, 'Asia/Shanghai');
});

test('cityDate turns at the city midnight, not at UTC midnight', () => {
  for (const [at, want] of [
    ['2026-11-26T15:59:59Z', '2026-11-26'],
    ['2026-11-26T16:00:00Z', '2026-11-27'],
    ['2026-12-31T16:00:00Z', '2027-01-01'],
    ['2026-11-26T00:00:00Z', '2026-11-26'],
  ]) assert.equal(cityDate(new Date(at)), want, at);
});

test('startOfDay is the city midnight of the day', () => {
  for (const [at, want] of [
    ['2026-11-26T20:00:00+08:00', '2026-11-25T16:00:00.000Z'],
    ['2026-11-27T00:00:00+08:00', '2026-11-26T16:00:00.000Z'],
    ['2026-11-26T23:59:59+08:00', '2026-11-25T16:00:00.000Z'],
  ]) assert.equal(startOfDay(new Date(at)).toISOString(), want, at);
});

test('isoCity writes the instant with the city offset', () => {
  const at = new Date('2026-11-26T12:34:56Z');
  assert.equal(isoCity(at), '2026-11-26T20:34:56+08:00');
  assert.equal(Date.parse(isoCity(at)), at.getTime());
});

test('addDays crosses months, years and leap days', () => {
  for (const [date, n, want] of [
    ['2026-11-30', 1, '2026-12-01'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2026-03-01', -1, '2026-02-28'],
  ]) assert.equal(addDays(date, n), want);
});

test('fmtDuration shows the two largest units', () => {
  const m = 60000;
  for (const [ms, key, vars] of [
    [0, 'dur.m', { m: 0 }],
    [-5 * m, 'dur.m', { m: 0 }],
    [59 * m + 59000, 'dur.m', { m: 59 }],
    [60 * m, 'dur.hm', { h: 1, m: 0 }],
    [(2 * 60 + 10) * m, 'dur.hm', { h: 2, m: 10 }],
    [(3 * 1440 + 5 * 60 + 7) * m, 'dur.dh', { d: 3, h: 5 }],
  ]) assert.equal(fmtDuration(ms), t(key, vars), `${ms} ms`);
});

test('missing values show as a dash', () => {
  for (const v of [null, undefined]) {
    assert.equal(fmtNumber(v), '—');
    assert.equal(fmtPercent(v), '—');
    assert.equal(fmtMetres(v), '—');
  }
  assert.equal(fmtNumber(NaN), '—');
});

test('numbers, percentages and distances', () => {
  assert.equal(fmtNumber(123456), '123,456');
  assert.equal(fmtPercent(0.1234), '12.3%');
  assert.equal(fmtPercent(0.5, 0), '50%');
  assert.equal(fmtMetres(999.6), '1000 m');
  assert.equal(fmtMetres(1234), '1.2 km');
});
