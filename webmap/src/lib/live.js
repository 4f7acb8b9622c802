// The /live websocket client: subscribes, keeps the last sequence number it has
// (from changes and heartbeats), resumes from it after any drop with exponential
// backoff, and reports its connection state.
//
// Events (EventTarget): "change" (detail: the change frame), "reset" (reload the
// snapshot), "state" (detail: {state, seq, attempt, retryAt, since}).
// States: connecting, live, reconnecting, offline, stopped.

const MIN_DELAY = 500;
const MAX_DELAY = 30000;
const STALE_AFTER = 45000; // heartbeats come every 15 s
const WATCH_EVERY = 5000;

export class Live extends EventTarget {
  constructor({ token, subscription = {}, path = '/live' } = {}) {
    super();
    this.token = token;
    this.subscription = subscription;
    this.path = path;
    this.seq = 0;
    this.state = 'stopped';
    this.attempt = 0;
    this.retryAt = 0;
    this.since = Date.now(); // when the current state began
    this.ws = null;
    this.retryTimer = 0;
    this.watchTimer = 0;
    this.lastFrame = 0;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop('offline');
  }

  start() {
    if (this.state !== 'stopped') return;
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    this.watchTimer = setInterval(() => this.watch(), WATCH_EVERY);
    this.connect();
  }

  stop() {
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    clearInterval(this.watchTimer);
    clearTimeout(this.retryTimer);
    this.detach();
    this.setState('stopped');
  }

  // subscribe replaces the subscription; an open connection resubscribes from
  // the last sequence number.
  subscribe(subscription) {
    this.subscription = subscription;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.sendSubscribe();
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}${this.path}?access_token=${encodeURIComponent(this.token)}`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.setState('offline');
      return;
    }
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => this.sendSubscribe();
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ev);
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  sendSubscribe() {
    const msg = { type: 'subscribe', ...this.subscription };
    if (this.seq > 0) msg.since = this.seq;
    this.ws.send(JSON.stringify(msg));
  }

  receive(data) {
    this.lastFrame = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    switch (f.type) {
      case 'subscribed':
        if (!this.seq) this.seq = f.seq;
        this.attempt = 0;
        this.setState('live');
        break;
      case 'change':
        this.seq = f.seq;
        this.dispatchEvent(new CustomEvent('change', { detail: f }));
        break;
      case 'heartbeat':
        this.seq = Math.max(this.seq, f.seq);
        this.emitState();
        break;
      case 'reset':
        this.seq = f.seq;
        this.dispatchEvent(new CustomEvent('reset', { detail: f }));
        break;
      case 'error':
        console.warn('live:', f.error && f.error.message);
        break;
    }
  }

  // closed reads the close reason ({"type":..., "resume_since":N}) and retries.
  closed(ev) {
    if (this.ws && ev.target !== this.ws) return;
    this.ws = null;
    try {
      const r = JSON.parse(ev.reason || '{}');
      if (Number.isInteger(r.resume_since) && r.resume_since > 0) this.seq = r.resume_since;
    } catch {
      // a reason that is not JSON: resume from the last seq seen
    }
    this.retry();
  }

  retry() {
    if (this.state === 'stopped') return;
    if (!navigator.onLine) {
      this.setState('offline');
      return;
    }
    const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.setState('reconnecting');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // drop abandons the connection at once (no closing handshake on a dead
  // network) and retries.
  drop(state) {
    this.detach();
    if (state === 'offline') this.setState('offline');
    else this.retry();
  }

  detach() {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      // already closed
    }
  }

  reconnectNow() {
    if (this.state === 'stopped' || this.state === 'live') return;
    this.detach();
    this.attempt = Math.min(this.attempt, 1);
    this.connect();
  }

  // watch drops a connection that has been silent longer than heartbeats allow.
  watch() {
    if (this.state === 'live' && Date.now() - this.lastFrame > STALE_AFTER) this.drop('stale');
  }

  setState(state) {
    if (state !== this.state) this.since = Date.now();
    this.state = state;
    this.emitState();
  }

  emitState() {
    this.dispatchEvent(new CustomEvent('state', {
      detail: { state: this.state, seq: this.seq, attempt: this.attempt, retryAt: this.retryAt, since: this.since },
    }));
  }
}
