// The names the wall shows for codes: categories (in both languages), units
// and streets (Chinese only), read once at start.
import { get } from '../lib/api.js';
import { catName } from '../lib/i18n.js';

export const names = {
  cats: new Map(), // code → category
  units: new Map(), // code → name
  streets: new Map(), // code → name
  cat(code) {
    return catName(this.cats.get(code)) || code;
  },
  street(code) {
    return this.streets.get(code);
  },
  unit(code) {
    return this.units.get(code) || code;
  },
};

export async function loadCatalog() {
  const [{ categories }, { units }] = await Promise.all([get('/api/v1/categories'), get('/api/v1/units')]);
  for (const c of categories) names.cats.set(c.code, c);
  for (const u of units) names.units.set(u.code, u.name);
}
