// The live feed: the newest events, redrawn at most once a second, each row
// drawn once (and slid in only when events come slowly); when more came in the
// last minute than the rows hold, the first row counts the rest instead.
import { now, nowDate } from '../lib/clock.js';
import { fill, h } from '../lib/dom.js';
import { fmtNumber, fmtTime } from '../lib/format.js';
import { statusName, t } from '../lib/i18n.js';
import { ACCENT, OVERDUE, STATUS_COLORS } from '../lib/theme.js';
import { names } from './names.js';

const ROWS = 6; // rows of the feed, a summary row included
const TICKER_MS = 1000; // the feed changes at most once a second: a flood must not flicker
const FLOOD_WINDOW_MS = 60000;
const MAX_TIMES = 20000;

// condense says what a feed of rows shows of events (newest first) when
// recent of them came in the last minute: the rows shown, and how many more
// the summary row counts (null: no summary, events come slowly).
export function condense(events, recent, rows = ROWS) {
  const flood = recent > rows;
  const shown = events.slice(0, flood ? rows - 1 : rows);
  return { shown, more: flood ? recent - shown.length : null };
}

// dropBefore removes the times before cutoff from the front of times (ascending).
export function dropBefore(times, cutoff) {
  let old = 0;
  while (old < times.length && times[old] < cutoff) old++;
  if (old) times.splice(0, old);
}

export class Ticker {
  constructor(el) {
    this.el = el;
    this.events = []; // the newest events, newest first
    this.times = []; // when each event of the last minute came
    this.rows = new Map(); // event id → its <li>, reused so that it is not animated again
    this.seq = 0;
    this.at = 0;
    this.timer = 0;
  }

  // add puts an event of kind ('new', 'closed', a status, 'remind') about an
  // issue's or a declaration's properties on the feed.
  add(kind, p) {
    this.events.unshift({ id: ++this.seq, at: nowDate(), kind, category: p.category, street: p.street,
      unit: p.unit_name || p.unit, indicator: p.indicator_name || p.indicator, reminder: p.reminder });
    this.events.length = Math.min(this.events.length, ROWS);
    this.times.push(now());
    if (this.times.length > MAX_TIMES) this.times.splice(0, MAX_TIMES / 2);
    this.schedule();
  }

  // schedule redraws the feed at once when it has been still for a while,
  // else at the end of the current second.
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.at + TICKER_MS - now());
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.render();
    }, wait);
  }

  // redraw draws every row again (in the other language).
  redraw() {
    this.rows.clear();
    this.render();
  }

  render() {
    this.at = now();
    dropBefore(this.times, now() - FLOOD_WINDOW_MS);
    if (!this.events.length) {
      this.rows.clear();
      fill(this.el, h('li', { class: 'empty muted' }, t('wall.waiting')));
      return;
    }
    const { shown, more } = condense(this.events, this.times.length);
    const animate = more === null;
    const rows = shown.map((e) => this.rows.get(e.id) || row(e, animate));
    const keep = new Set(shown.map((e) => e.id));
    for (const id of this.rows.keys()) if (!keep.has(id)) this.rows.delete(id);
    shown.forEach((e, i) => this.rows.set(e.id, rows[i]));
    fill(this.el, more === null ? null : h('li', { class: 'summary' }, t('wall.tickerMore', { n: fmtNumber(more) })), ...rows);
  }
}

const REMIND_COLORS = { overdue: OVERDUE, due_3d: STATUS_COLORS.dispatched, due_7d: ACCENT };

function row(e, animate) {
  if (e.kind === 'remind') return remindRow(e, animate);
  const li = h('li', { class: animate ? 'enter' : '' },
    h('span', { class: 'time' }, fmtTime(e.at)),
    h('span', { class: 'chip', style: { '--c': e.kind === 'new' ? ACCENT : STATUS_COLORS[e.kind] } },
      e.kind === 'new' ? t('wall.eventNew') : statusName(e.kind)),
    h('span', { class: 'what' }, [names.cat(e.category), names.street(e.street)].filter(Boolean).join(' · ')));
  // moved rows are not slid in again
  if (animate) li.addEventListener('animationend', () => li.classList.remove('enter'), { once: true });
  return li;
}

// remindRow is a declaration crossing a reminder threshold: 申报提醒 · unit ·
// indicator · how due.
function remindRow(e, animate) {
  const li = h('li', { class: `remind ${animate ? 'enter' : ''}`, dataset: { reminder: e.reminder } },
    h('span', { class: 'time' }, fmtTime(e.at)),
    h('span', { class: 'chip', style: { '--c': REMIND_COLORS[e.reminder] } }, t('wall.declRemind')),
    h('span', { class: 'what' }, [e.unit, e.indicator, t(`wall.remind.${e.reminder}`)].filter(Boolean).join(' · ')));
  if (animate) li.addEventListener('animationend', () => li.classList.remove('enter'), { once: true });
  return li;
}
