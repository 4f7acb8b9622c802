// The interface text: both languages have the same keys, the same
// placeholders, no empty text, and every key the code names exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { t } from './i18n.js';
import { STRINGS } from './strings.js';

const zh = STRINGS['zh-CN'];
const { en } = STRINGS;
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every Chinese key has an English text', () => {
  assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), []);
});

test('every English key has a Chinese text', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), []);
});

test('no text is empty', () => {
  for (const [lang, table] of Object.entries(STRINGS)) {
    assert.deepEqual(Object.keys(table).filter((k) => typeof table[k] !== 'string' || !table[k].trim()), [], lang);
  }
});

test('both languages fill the same placeholders', () => {
  const differ = Object.keys(zh).filter((k) => k in en && placeholders(zh[k]).join() !== placeholders(en[k]).join());
  assert.deepEqual(differ, []);
});

test('t fills placeholders and keeps the unknown ones', () => {
  assert.equal(t('wall.tickerMore', { n: 7 }), zh['wall.tickerMore'].replace('{n}', '7'));
  assert.equal(t('wall.tickerMore', {}), zh['wall.tickerMore']);
});

test('t of an unknown key is the key', () => {
  assert.equal(t('no.such.key'), 'no.such.key');
});

// The keys the code writes out whole (t('a.b')); keys put together from a
// status or an action (t('status.' + s)) are not read here.
function literalKeys() {
  const src = fileURLToPath(new URL('..', import.meta.url));
  const keys = new Map(); // key → a file naming it
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'[,)]/g)) keys.set(m[1], p);
      }
    }
  };
  walk(src);
  return keys;
}

test('every key the code names is in the tables', () => {
  const keys = literalKeys();
  assert.ok(keys.size > 100, `only ${keys.size} keys found: the scan is broken`);
  assert.deepEqual([...keys].filter(([k]) => !(k in zh)).map(([k, p]) => `${k} (${p})`), []);
});
