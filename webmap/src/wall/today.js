// Today's figures: the cases new and closed today, counted by the server
// every minute and in between from the live changes (each id once a day), and
// today's new cases by category and by street. At the city's midnight they
// start again.
const MAX_SEEN = 100000; // ids counted today

export class Today {
  constructor(day) {
    this.day = day; // the city's date, YYYY-MM-DD
    this.counts = { new: null, closed: null, overdue: null }; // null: not read yet
    this.bumps = { new: 0, closed: 0 }; // cases counted from the stream, ever
    this.seenNew = new Set();
    this.seenClosed = new Set();
    this.byCategory = new Map();
    this.byStreet = new Map();
  }

  // roll starts a new day when day is another than the one counted; it says
  // whether it did.
  roll(day) {
    if (day === this.day) return false;
    this.day = day;
    this.seenNew.clear();
    this.seenClosed.clear();
    this.byCategory.clear();
    this.byStreet.clear();
    this.counts.new = 0;
    this.counts.closed = 0;
    return true;
  }

  // count tells what a live change of an issue is for the wall and counts it:
  // 'new' (created today, not held before), 'closed' (today), the new status
  // of a held issue that moved, or null. since is the start of today (ms).
  count(prev, f, since) {
    const id = String(f.id);
    const p = f.properties;
    const today = (v) => Boolean(v) && Date.parse(v) >= since;
    if (!prev && today(p.created_at) && !this.seenNew.has(id)) {
      remember(this.seenNew, id);
      this.bump('new');
      bump(this.byCategory, p.category);
      bump(this.byStreet, p.street);
      return 'new';
    }
    if (p.status === 'closed' && today(p.closed_at) && !this.seenClosed.has(id)) {
      remember(this.seenClosed, id);
      this.bump('closed');
      return 'closed';
    }
    if (prev && prev.properties.status !== p.status) return p.status;
    return null;
  }

  bump(kind) {
    this.bumps[kind]++;
    if (this.counts[kind] !== null) this.counts[kind]++;
  }

  // begin notes the stream's counts before the server's are read; settle
  // takes the server's, plus what the stream brought meanwhile (not in them yet).
  begin() {
    return { ...this.bumps };
  }

  settle(before, { created, closed, overdue, byCategory, byStreet }) {
    this.counts = { new: created + (this.bumps.new - before.new), closed: closed + (this.bumps.closed - before.closed), overdue };
    this.byCategory = byCategory;
    this.byStreet = byStreet;
  }
}

function remember(set, id) {
  if (set.size >= MAX_SEEN) set.clear();
  set.add(id);
}

// bump counts one more of key in a Map of counts.
export function bump(map, key) {
  if (key) map.set(key, (map.get(key) || 0) + 1);
}
