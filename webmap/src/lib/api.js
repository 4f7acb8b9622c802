// The REST client: every request carries the bearer token, JSON in and out, and
// errors come back as ApiError with the server's {"error": {...}} members.

// The token is kept in localStorage, on purpose (docs/SECURITY.md): only script
// can read it, and the pages' CSP (script-src 'self', nothing inline) lets no
// script run but this bundle, which puts no data into HTML. An HttpOnly cookie
// would instead be sent by the browser on its own, bringing CSRF onto every API
// call and /live; and the token is the bearer token API clients use too.
const TOKEN_KEY = 'citymap.token';

export function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  localStorage.setItem(TOKEN_KEY, t.trim());
}

export function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
}

// tokenFromURL moves ?token= into localStorage and out of the address bar, so a
// wall can be set up with one URL without leaving the secret on screen.
export function tokenFromURL() {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    setToken(t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return token();
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.fields = e.fields || {};
    this.allowed = e.allowed || null; // 409 on a workflow action
    this.body = body;
  }
}

export function withQuery(path, params) {
  if (!params) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

function authHeaders(extra) {
  const h = new Headers(extra || {});
  const t = token();
  if (t) h.set('Authorization', 'Bearer ' + t);
  return h;
}

async function errorOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return new ApiError(res.status, body);
}

// request sends one call. body: a FormData goes as multipart, anything else as
// JSON. raw: return the Response (for blobs and headers).
export async function request(path, { method = 'GET', body, headers, signal, raw = false } = {}) {
  const h = authHeaders(headers);
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    h.set('Content-Type', 'application/json');
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers: h, body: payload, signal });
  if (!res.ok) throw await errorOf(res);
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, params, opts) => request(withQuery(path, params), opts);
export const post = (path, body, opts = {}) => request(path, { ...opts, method: 'POST', body });

// pages follows an issue list's "next" cursors, up to maxPages pages.
export async function pages(path, params, maxPages = 10) {
  const features = [];
  let cursor;
  let complete = false;
  for (let i = 0; i < maxPages; i++) {
    const fc = await get(path, { ...params, cursor });
    features.push(...fc.features);
    cursor = fc.next;
    if (!cursor) {
      complete = true;
      break;
    }
  }
  return { features, complete };
}

// ogcItems reads a whole OGC API collection (following next links).
export async function ogcItems(collection, params = {}, maxPages = 10) {
  let url = withQuery(`/ogc/collections/${collection}/items`, { limit: 10000, ...params });
  const features = [];
  for (let i = 0; i < maxPages && url; i++) {
    const fc = await request(url, { headers: { Accept: 'application/geo+json' } });
    features.push(...fc.features);
    const next = (fc.links || []).find((l) => l.rel === 'next');
    url = next ? new URL(next.href, location.href).pathname + new URL(next.href, location.href).search : null;
  }
  return { type: 'FeatureCollection', features };
}

// ogcCount is the numberMatched of a filtered OGC collection.
export async function ogcCount(collection, params) {
  const fc = await request(withQuery(`/ogc/collections/${collection}/items`, { limit: 1, ...params }), {
    headers: { Accept: 'application/geo+json' },
  });
  return fc.numberMatched;
}

function fileName(res, fallback) {
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : fallback;
}

// download saves an answer as a file: fetched with the token (a plain link could
// not carry it), then handed to the browser as a Blob.
export async function download(path, params, fallbackName) {
  const res = await request(withQuery(path, params), { raw: true });
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName(res, fallbackName);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30000);
  return a.download;
}

// photoURL fetches a photo with the token and returns an object URL; the caller
// revokes it.
export async function photoURL(id, signal) {
  const res = await request(`/api/v1/photos/${encodeURIComponent(id)}`, { raw: true, signal });
  return URL.createObjectURL(await res.blob());
}

export async function uploadPhoto(file) {
  const fd = new FormData();
  fd.append('photo', file, file.name);
  return post('/api/v1/photos', fd);
}
