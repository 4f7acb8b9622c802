// Sign-in: a page needs a token. It comes from ?token= (then kept in
// localStorage and taken out of the address bar), from localStorage, or from
// this form; GET /api/v1/me checks it and says whose it is.
import { ApiError, clearToken, get, setToken, tokenFromURL } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

async function whoami() {
  try {
    return await get('/api/v1/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

// signIn resolves with the principal ({name, role, areas}) once a valid token is
// stored; roles, when given, are the roles the page accepts.
export async function signIn({ roles, hint } = {}) {
  if (tokenFromURL()) {
    const me = await whoami();
    if (me && (!roles || roles.includes(me.role))) return me;
    clearToken();
  }
  return new Promise((resolve) => showForm(roles, hint, resolve));
}

function showForm(roles, hint, resolve) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true,
    placeholder: t('signin.placeholder'), 'aria-label': t('signin.token') });
  const error = h('p', { class: 'signin-error', role: 'alert' });
  const form = h('form', { class: 'signin-card' },
    h('div', { class: 'signin-logo' }, 'citymap'),
    h('h2', {}, t('signin.title')),
    h('p', { class: 'muted' }, hint || t('signin.hint')),
    h('label', {}, t('signin.token'), input),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('signin.submit')));
  const overlay = h('div', { class: 'signin' }, form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setToken(input.value);
    const me = await whoami().catch(() => null);
    if (!me) {
      clearToken();
      error.textContent = t('signin.invalid');
      return;
    }
    if (roles && !roles.includes(me.role)) {
      clearToken();
      error.textContent = t('signin.role', { role: t('role.' + me.role) });
      return;
    }
    overlay.remove();
    resolve(me);
  });
  document.body.append(overlay);
  input.focus();
}

export function signOut() {
  clearToken();
  location.reload();
}
