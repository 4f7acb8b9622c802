import assert from 'node:assert/strict';
import { test } from 'node:test';
import { t } from '../lib/i18n.js';
import { connText } from './conn.js';

test('connText says each state', () => {
  const at = Date.parse('2026-11-26T12:00:00Z');
  for (const [d, key, vars] of [
    [{ state: 'live', seq: 42 }, 'conn.live', { seq: 42 }],
    [{ state: 'live', seq: 0 }, 'conn.liveNoSeq'],
    [{ state: 'reconnecting', attempt: 3, retryAt: at + 4200 }, 'conn.reconnecting', { n: 3, s: 5 }],
    [{ state: 'reconnecting', attempt: 1, retryAt: at - 1000 }, 'conn.reconnecting', { n: 1, s: 0 }],
    [{ state: 'connecting' }, 'conn.connecting'],
  ]) assert.equal(connText(d, at), t(key, vars), JSON.stringify(d));
});
