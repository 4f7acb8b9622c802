// The open issues the wall holds for its map and counters: a snapshot read
// from the server, kept current by the live changes, bounded.
import { isOpen } from '../lib/workflow.js';

const MAX_PENDING = 5000; // changes kept while a snapshot loads

export class OpenIssues {
  constructor(max) {
    this.max = max;
    this.issues = new Map(); // id → open issue feature, oldest first
    this.complete = false; // the snapshot holds every open issue
    this.pending = null; // changes received while the snapshot loads
  }

  get(id) {
    return this.issues.get(String(id));
  }

  // load replaces the issues by what read() gives ({features, complete}).
  // Changes that arrive meanwhile (record) are applied again on top of it,
  // since the snapshot may predate them.
  async load(read) {
    this.pending = [];
    try {
      const { features, complete } = await read();
      this.issues.clear();
      for (const f of features.slice(0, this.max)) this.issues.set(String(f.id), f);
      this.complete = complete && features.length <= this.max;
      for (const c of this.pending) this.apply(c);
    } finally {
      this.pending = null;
    }
  }

  // record keeps a live change for the snapshot being loaded, if one is.
  record(change) {
    if (this.pending && this.pending.length < MAX_PENDING) this.pending.push(change);
  }

  // apply keeps the set of open issues as a change leaves it; past the bound
  // the oldest goes and the set is no longer complete.
  apply(change) {
    const id = String(change.id);
    const f = change.feature;
    if (!f || !isOpen(f.properties.status)) {
      this.issues.delete(id);
      return;
    }
    this.issues.set(id, f);
    if (this.issues.size > this.max) {
      this.issues.delete(this.issues.keys().next().value);
      this.complete = false;
    }
  }

  // markOverdue sets each issue's overdue as of at and lists them: overdue is
  // judged now, not at the issue's last change, since deadlines pass.
  markOverdue(at) {
    const out = [];
    for (const f of this.issues.values()) {
      const p = f.properties;
      p.overdue = isOpen(p.status) && p.deadline != null && Date.parse(p.deadline) < at;
      out.push(f);
    }
    return out;
  }
}
