// 网上申报 on the wall: how many declarations are overdue, due within 3 and
// within 7 days (the server's due= filters), and a reminder crossed on the feed.
import { get } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { glow, setCounter } from './counters.js';

const DUES = ['overdue', '3d', '7d'];
const MAX_REMINDERS = 5000; // declarations whose reminder is remembered

// Reminders remembers the last reminder seen of each declaration, so that a
// live change tells a crossing from another change (an upload, say); bounded,
// the oldest forgotten first.
export class Reminders {
  constructor(max = MAX_REMINDERS) {
    this.max = max;
    this.seen = new Map(); // declaration id → its reminder
  }

  clear() {
    this.seen.clear();
  }

  // note remembers a declaration's reminder (null: none) and says whether it
  // crossed one: a reminder other than the one last seen.
  note(id, reminder) {
    const key = String(id);
    const crossed = Boolean(reminder) && this.seen.get(key) !== reminder;
    this.seen.delete(key);
    if (!reminder) return crossed;
    this.seen.set(key, reminder);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value);
    return crossed;
  }
}

export class DeclarationCounts {
  constructor() {
    this.counts = { overdue: null, '3d': null, '7d': null };
    this.reminders = new Reminders();
  }

  // load reads the counts; with seed it also remembers each listed one's
  // reminder (the overdue and the 7-day list: the 3-day ones are in it).
  async load(seed = false) {
    const limit = seed ? 2000 : 1;
    const lists = await Promise.all(DUES.map((due) => get('/api/v1/declarations', { due, limit: due === '3d' ? 1 : limit })));
    DUES.forEach((due, i) => (this.counts[due] = lists[i].total));
    if (seed) {
      this.reminders.clear();
      for (const d of [...lists[0].declarations, ...lists[2].declarations]) this.reminders.note(d.id, d.reminder);
    }
    this.render();
  }

  // crossed remembers a live change's reminder (an accepted declaration's,
  // gone) and says whether it crossed one, for the feed.
  crossed(change) {
    const p = change.feature ? change.feature.properties : {};
    const reminder = change.op === 'delete' ? null : p.reminder || null;
    return this.reminders.note(change.id, reminder);
  }

  render() {
    for (const due of DUES) {
      const el = $(`#count-decl-${due}`);
      const before = el.textContent;
      if (setCounter(el, this.counts[due]) && before !== '—') glow(el.parentElement);
    }
  }
}
