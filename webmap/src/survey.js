// /s/{survey} — the citizen's questionnaire. The server renders the questions
// (the page works as a plain form without this script); this posts the answers
// as JSON, shows what to correct next to its question, locates the community
// from the phone's position (WGS-84 from the browser) and, without a phone
// number, keys the answer by a random device key kept in this browser.
import './survey.css';

const form = document.getElementById('survey');
const DEVICE = 'citymap.survey.device';

function deviceKey() {
  let k = null;
  try { k = localStorage.getItem(DEVICE); } catch { /* private mode */ }
  if (!k) {
    const b = new Uint8Array(18);
    crypto.getRandomValues(b);
    k = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    try { localStorage.setItem(DEVICE, k); } catch { /* kept for this page only */ }
  }
  return k;
}

function setError(box, msg) {
  const p = box ? box.querySelector('.err') : null;
  const target = p || document.getElementById('form-err');
  target.textContent = msg || '';
  target.hidden = !msg;
  if (box) box.classList.toggle('bad', Boolean(msg));
  if (msg) (box || target).scrollIntoView({ block: 'center', behavior: 'smooth' });
}

function clearErrors() {
  for (const box of form.querySelectorAll('.q')) setError(box, '');
  setError(null, '');
}

// answers reads the form: option id, option ids, a number or a text per question
function answers() {
  const out = {};
  for (const box of form.querySelectorAll('fieldset[data-kind]')) {
    const id = box.dataset.q;
    const name = 'q.' + id;
    const kind = box.dataset.kind;
    if (kind === 'multiple') {
      const v = [...form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((i) => i.value);
      if (v.length) out[id] = v;
    } else if (kind === 'text') {
      const v = form.elements[name].value.trim();
      if (v) out[id] = v;
    } else {
      const c = form.querySelector(`input[name="${CSS.escape(name)}"]:checked`);
      if (c) out[id] = kind === 'rating' ? Number(c.value) : c.value;
    }
  }
  return out;
}

// firstMissing is the first required question left blank, as the server would say
function firstMissing(a) {
  const boxes = [...form.querySelectorAll('fieldset[data-kind]')];
  const i = boxes.findIndex((b) => b.hasAttribute('data-required') && !(b.dataset.q in a));
  return i < 0 ? null : { box: boxes[i], msg: `请回答第${i + 1}题` };
}

let position = null;

const locate = document.getElementById('locate');
if (locate && navigator.geolocation) {
  locate.hidden = false;
  locate.addEventListener('click', () => {
    const note = document.getElementById('where-note');
    note.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition((p) => {
      // browsers give WGS-84; the server finds the community
      position = { lon: p.coords.longitude, lat: p.coords.latitude, coord_sys: 'wgs84' };
      form.elements.community.value = '';
      note.textContent = '已获取位置，提交时将自动匹配所在社区。';
    }, () => { note.textContent = '无法获取位置，请从列表中选择社区。'; }, { timeout: 10000, maximumAge: 60000 });
  });
  form.elements.community.addEventListener('change', () => {
    if (form.elements.community.value) {
      position = null;
      document.getElementById('where-note').textContent = '';
    }
  });
}

function boxOf(field) {
  if (!field) return null;
  const [head, q] = field.split('.');
  if (head === 'answers') return form.querySelector(`fieldset[data-q="${CSS.escape(q)}"]`);
  if (head === 'community' || head === 'location') return form.querySelector('fieldset[data-q="community"]');
  if (head === 'respondent') return form.querySelector('fieldset[data-q="respondent"]');
  return null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors();
  const a = answers();
  const missing = firstMissing(a);
  if (missing) return setError(missing.box, missing.msg);
  const community = form.elements.community.value;
  if (!community && !position) return setError(boxOf('community'), '请选择所在社区');
  const body = { answers: a };
  if (community) body.community = community;
  else Object.assign(body, position);
  const phone = form.elements.phone.value.trim();
  if (phone) body.phone = phone;
  else body.device = deviceKey();
  const button = form.querySelector('.submit');
  button.disabled = true;
  try {
    const res = await fetch(`/api/v1/surveys/${encodeURIComponent(form.dataset.id)}/responses`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    if (res.ok) {
      form.hidden = true;
      document.getElementById('done').hidden = false;
      window.scrollTo(0, 0);
      return;
    }
    const e = (await res.json().catch(() => ({}))).error || {};
    const field = Object.keys(e.fields || {})[0];
    let msg = e.message || `提交失败（${res.status}）`;
    if (res.status === 429) msg = '提交过于频繁，请稍后再试。';
    if (e.code === 'already_answered') msg = '您已提交过本问卷，感谢参与。';
    setError(boxOf(field), msg);
  } catch {
    setError(null, '网络异常，请稍后重试。');
  } finally {
    button.disabled = false;
  }
});
