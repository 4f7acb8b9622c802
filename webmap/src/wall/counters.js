// The wall's counters: values that hold six digits and more in a narrow
// column (the type shrinks to fit), and glow when they change.
import { now } from '../lib/clock.js';
import { $ } from '../lib/dom.js';
import { fmtNumber } from '../lib/format.js';

// fittedSize is the type size (px, whole) at which text now scrollWidth wide
// at px fits a box clientWidth wide, or null when it fits as it is (or the box
// is not laid out: no width to fit).
export function fittedSize(px, clientWidth, scrollWidth) {
  if (!clientWidth || scrollWidth <= clientWidth) return null;
  return Math.floor(px * (clientWidth / scrollWidth) * 0.97);
}

// fitText shrinks an element's type until its text fits its box; the style
// sheet's size is the largest.
export function fitText(el) {
  el.style.fontSize = '';
  const px = fittedSize(parseFloat(getComputedStyle(el).fontSize), el.clientWidth, el.scrollWidth);
  if (px !== null) el.style.fontSize = `${px}px`;
}

export function fitCounters() {
  for (const el of document.querySelectorAll('.counter-value, .task-count, .decl-value')) fitText(el);
}

// counterText is a count as a counter shows it: — before it is known.
export const counterText = (n) => (n === null ? '—' : fmtNumber(n));

// setCounter shows n in el, fitted; it says whether the text changed.
export function setCounter(el, n) {
  const v = counterText(n);
  if (el.textContent === v) return false;
  el.textContent = v;
  fitText(el);
  return true;
}

export function renderCounters(counts) {
  for (const k of ['new', 'closed', 'overdue']) setCounter($(`#count-${k}`), counts[k]);
}

export function glow(el) {
  el.classList.remove('bump');
  void el.offsetWidth; // restart the animation
  el.classList.add('bump');
}

const flashedAt = {};

// flash makes a counter glow when it changes, at most once a second: at ten
// cases a second it would never stop.
export function flash(kind) {
  if (now() - (flashedAt[kind] || 0) < 1000) return;
  flashedAt[kind] = now();
  glow($(`.counter-${kind}`));
}
