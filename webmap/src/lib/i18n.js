// Interface text: Chinese by default, English on request; the choice is kept in
// localStorage. Every string the UI shows goes through t(); static HTML marks its
// text with data-i18n (textContent), data-i18n-placeholder and data-i18n-title.
import { STRINGS } from './strings.js';

const KEY = 'citymap.lang';
const LANGS = ['zh-CN', 'en'];
// (no localStorage outside a browser: the node tests import the pure modules)
const saved = globalThis.localStorage ? localStorage.getItem(KEY) : null;
let current = LANGS.includes(saved) ? saved : 'zh-CN';
const listeners = new Set();

export const lang = () => current;
export const isZh = () => current === 'zh-CN';

export function t(key, vars) {
  let s = STRINGS[current][key] ?? STRINGS['zh-CN'][key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  return s;
}

export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  localStorage.setItem(KEY, l);
  apply();
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// apply translates the marked elements under root and the page's title.
export function apply(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
}

// bindToggle makes a button switch between the languages.
export function bindToggle(button) {
  const label = () => {
    button.textContent = current === 'zh-CN' ? 'EN' : '中文';
    button.title = t('lang.switch');
  };
  label();
  button.addEventListener('click', () => setLang(current === 'zh-CN' ? 'en' : 'zh-CN'));
  onLangChange(label);
}

// Names of things the server lists in both languages (categories) or in Chinese
// only (areas, units).
export function catName(cat) {
  if (!cat) return '';
  return current === 'zh-CN' ? cat.name_zh : cat.name_en || cat.name_zh;
}

export const statusName = (s) => t('status.' + s);
export const actionName = (a) => t('action.' + a);
export const sourceName = (s) => t('source.' + s);
