// The state of the live connection as the wall's corner says it.
import { $ } from '../lib/dom.js';
import { fmtTime } from '../lib/format.js';
import { t } from '../lib/i18n.js';

// connText says a Live state (its 'state' event's detail) at the instant at (ms).
export function connText(d, at) {
  switch (d.state) {
    case 'live': return d.seq ? t('conn.live', { seq: d.seq }) : t('conn.liveNoSeq');
    case 'reconnecting': return t('conn.reconnecting', { n: d.attempt, s: Math.max(0, Math.ceil((d.retryAt - at) / 1000)) });
    case 'offline': return t('conn.offline', { seq: d.seq, since: fmtTime(d.since) });
    default: return t('conn.connecting');
  }
}

export function showConn(d) {
  const el = $('#conn');
  el.dataset.state = d.state;
  document.body.dataset.conn = d.state;
  el.querySelector('.conn-text').textContent = connText(d, Date.now());
}
