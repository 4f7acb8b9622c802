// New cases on the map: each pulses for a while, a bounded number at once, the
// newest last; and where a new case's label can go.

export class Pulses {
  constructor(max, ms) {
    this.max = max;
    this.ms = ms; // how long one pulses
    this.items = new Map(); // id → {feature, at, n}, oldest first
    this.n = 0;
    this.dirty = false; // changed since last drawn
  }

  get size() {
    return this.items.size;
  }

  add(f, at) {
    const id = String(f.id);
    this.items.delete(id);
    this.items.set(id, { feature: f, at, n: ++this.n });
    while (this.items.size > this.max) this.items.delete(this.items.keys().next().value);
    this.dirty = true;
  }

  remove(id) {
    if (this.items.delete(String(id))) this.dirty = true;
  }

  // expire drops those that have pulsed their time by at.
  expire(at) {
    const cutoff = at - this.ms;
    for (const [id, p] of this.items) {
      if (p.at < cutoff) {
        this.items.delete(id);
        this.dirty = true;
      }
    }
  }

  values() {
    return this.items.values();
  }
}

// labelSide puts a label of w×h right of a dot at p (pixels), gap away, or
// left where the right is cut by the area's edges or covered by one of its
// boxes; null where both are (the dot alone is drawn). The side is the
// label's anchor: a label anchored left lies right of the dot.
export function labelSide(p, { w, h }, gap, { width, height, boxes }) {
  for (const side of ['left', 'right']) {
    const x1 = side === 'left' ? p.x + gap : p.x - gap - w;
    const b = { x1, x2: x1 + w, y1: p.y - h / 2, y2: p.y + h / 2 };
    const inside = b.x1 >= 2 && b.y1 >= 2 && b.x2 <= width - 2 && b.y2 <= height - 2;
    if (inside && !boxes.some((o) => b.x1 < o.x2 && o.x1 < b.x2 && b.y1 < o.y2 && o.y1 < b.y2)) return side;
  }
  return null;
}
