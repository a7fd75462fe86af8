import assert from 'node:assert/strict';
import { RequestByteBudget } from './request-bytes.ts';

describe('request byte budget', () => {
  it('when bytes would pass the limit, should take none of them and name the setting, the held and the asked', () => {
    const budget = new RequestByteBudget(100);
    assert.ok(budget.take(60));
    assert.ok(!budget.take(41));
    assert.equal(budget.held, 60);
    assert.match(budget.refusal(41), /holds 60 request bytes of its MAX_REQUEST_BYTES_HELD 100, so 41 more do not fit/);
    assert.ok(budget.take(40));
    assert.equal(budget.held, 100);
  });

  it('when bytes are given back, should let as many be taken again', () => {
    const budget = new RequestByteBudget(100);
    budget.take(70);
    assert.ok(!budget.take(50));
    budget.give(70);
    assert.equal(budget.held, 0);
    assert.ok(budget.take(100));
  });
});
