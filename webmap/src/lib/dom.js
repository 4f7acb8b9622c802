// A few DOM helpers: build elements, empty them, show a toast.
//
// Values reach the page as text only: h() and fill() append strings as text
// nodes and set attributes with setAttribute, MapLibre popups get elements
// (setDOMContent), markers and labels set textContent, ECharts formatters return
// elements. Nothing here or in the pages parses a string as HTML (innerHTML,
// insertAdjacentHTML, Popup.setHTML…): names, addresses and descriptions come
// from the server and may hold markup. TestNoHTMLSinks (webmap/webmap_test.go)
// keeps it so; docs/SECURITY.md says more.

// h('div', {class: 'x', onclick: fn, dataset: {id: 1}}, child, 'text', …)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') setStyle(el, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

// setStyle sets style properties, custom properties (--x) included.
export function setStyle(el, style) {
  for (const [k, v] of Object.entries(style)) {
    if (k.startsWith('--')) el.style.setProperty(k, v);
    else el.style[k] = v;
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let toastBox;
export function toast(message, kind = 'info', ms = 4000) {
  if (!toastBox) toastBox = document.body.appendChild(h('div', { class: 'toasts', role: 'status' }));
  const el = h('div', { class: `toast toast-${kind}` }, message);
  toastBox.append(el);
  setTimeout(() => el.remove(), ms);
}

// debounce calls fn once the calls have paused for ms.
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
