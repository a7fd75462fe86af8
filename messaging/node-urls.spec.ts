import assert from 'node:assert/strict';
import { readConfig } from '../config/config.ts';
import { redact, splitNodeUrls } from './node-urls.ts';

describe('AMQP_URL node list', () => {
  it('when several nodes are given comma-separated, should keep each in order', () => {
    assert.deepEqual(splitNodeUrls('amqp://a:b@n1:5672, amqp://a:b@n2:5673 ,amqps://n3'), ['amqp://a:b@n1:5672', 'amqp://a:b@n2:5673', 'amqps://n3']);
  });

  it('when an entry is not an amqp URL, should name AMQP_URL and hide the password', () => {
    assert.throws(() => readConfig({ AMQP_URL: 'amqp://u:p@n1,u:secret@n2:5673' }), (error: Error) =>
      error.message.includes('AMQP_URL') && !error.message.includes('secret'));
    assert.throws(() => splitNodeUrls(' , '), /AMQP_URL must name at least one/);
  });

  it('should redact passwords for logs', () => {
    assert.equal(redact('amqp://guest:guest@h:1'), 'amqp://guest:***@h:1');
  });
});
