import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streetLabel, streetOrder, topCategories } from './charts.js';

test('topCategories ranks by today\'s new cases, then the open ones', () => {
  const today = new Map([['a', 1], ['b', 3]]);
  const open = new Map([['a', 50], ['c', 100], ['d', 2], ['b', 1]]);
  assert.deepEqual(topCategories(today, open, 3), ['b', 'a', 'c']);
  assert.deepEqual(topCategories(new Map(), new Map()), []);
});

test('streetOrder ranks by today\'s new cases, then the overdue', () => {
  const order = streetOrder(['s1', 's2', 's3', 's4'], new Map([['s3', 2]]), new Map([['s2', 1], ['s4', 5]]));
  assert.deepEqual(order, ['s3', 's4', 's2', 's1']);
});

test('streetLabel puts the leaders on the street\'s line without their titles', () => {
  assert.equal(streetLabel('东街', undefined), '东街');
  assert.equal(streetLabel('东街', '张三（副区长）、李四（局长）'), '东街 · 张三、李四');
});
