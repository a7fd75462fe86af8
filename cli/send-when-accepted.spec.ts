import assert from 'node:assert/strict';
import { GraphQLRequestError, type ApiError } from './graphql-client.ts';
import { retryAfter, sendWhenAccepted } from './send-when-accepted.ts';

const refused = (...errors: ApiError[]) => new GraphQLRequestError(errors);
const busy: ApiError = { code: 'BACKPRESSURE', message: 'busy', retryAfterSeconds: 1, acceptedJobIds: [] };

describe('sendWhenAccepted', () => {
  it('should send again only what was refused with nothing done, after the hinted wait (capped at 30 s)', () => {
    assert.equal(retryAfter(refused(busy)), 1);
    assert.equal(retryAfter(refused({ ...busy, retryAfterSeconds: 7 })), 7);
    assert.equal(retryAfter(refused({ ...busy, retryAfterSeconds: 3600 })), 30);
    assert.equal(retryAfter(refused({ ...busy, acceptedJobIds: ['job-1'] })), null, 'part of the batch went through');
    assert.equal(retryAfter(refused({ code: 'BACKPRESSURE', message: 'busy', retryAfterSeconds: 1 })), null, 'no word on what was accepted');
    assert.equal(retryAfter(refused(busy, { code: 'BAD_USER_INPUT', message: 'bad' })), null);
    assert.equal(retryAfter(new Error('socket hang up')), null);
  });

  it('should return the first answer that is not a refusal, and rethrow any other error at once', async () => {
    let calls = 0;
    const lines: string[] = [];
    const answer = await sendWhenAccepted(async () => {
      calls += 1;
      if (calls === 1) throw refused({ ...busy, retryAfterSeconds: 0 });
      return 'accepted';
    }, (line) => lines.push(line));
    assert.equal(answer, 'accepted');
    assert.equal(calls, 2);
    assert.match(lines[0]!, /the gateway is busy and did nothing \(\[BACKPRESSURE\] busy\); sending again in 1 s/);
    await assert.rejects(sendWhenAccepted(async () => { throw refused({ code: 'BAD_USER_INPUT', message: 'bad' }); }, () => {}), /BAD_USER_INPUT/);
  });
});
