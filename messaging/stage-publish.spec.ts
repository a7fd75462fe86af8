import assert from 'node:assert/strict';
import type { Options } from 'amqplib';
import { HEADERS } from './headers.ts';
import { handedOverDelivery, handedOverValue } from './hand-over.ts';
import { publishToStage, stageMessage, stageMessageOfValue } from './stage-publish.ts';
import { topology } from './topology.ts';

for (const queueType of ['classic', 'quorum'] as const) describe(`publishToStage (${queueType} queues)`, () => {
  const names = topology('stage-publish-spec', queueType);
  const sent: { exchange: string; routingKey: string; content: string; options: Options.Publish }[] = [];
  const broker = {
    async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish = {}) {
      sent.push({ exchange, routingKey, content: content.toString('utf8'), options });
    },
  };
  beforeEach(() => { sent.length = 0; });

  it('when a stage message is published, should route it to the stage at its job priority as a first attempt', async () => {
    await publishToStage(broker, names, { stage: 'PARSE', jobId: 'job-1', priority: 'URGENT', body: '{"type":"parse.request"}', type: 'parse.request' });
    assert.deepEqual(sent, [{
      exchange: names.workExchange,
      routingKey: names.stageKey('PARSE', 4),
      content: '{"type":"parse.request"}',
      options: { priority: 4, contentType: 'application/json', messageId: 'job-1:PARSE', type: 'parse.request', headers: { [HEADERS.attempt]: 1 } },
    }]);
  });

  it('when headers are carried on, should keep them and reset the attempt to 1', async () => {
    await publishToStage(broker, names, {
      stage: 'EMBED', jobId: 'job-2', priority: 'LOW', body: '{}', headers: { traceparent: '00-abc-def-01', [HEADERS.attempt]: 3 },
    });
    assert.deepEqual(sent[0]!.options, {
      priority: 1, contentType: 'application/json', messageId: 'job-2:EMBED', headers: { traceparent: '00-abc-def-01', [HEADERS.attempt]: 1 },
    });
  });
});

describe('stageMessageOfValue', () => {
  const names = topology('stage-publish-spec', 'classic');
  const message = { stage: 'INDEX', jobId: 'job-3', priority: 'NORMAL', headers: { traceparent: '00-abc-def-01' } } as const;

  it('should build the same routing and options as stageMessage, and the same content once it is read', () => {
    const value = { type: 'index.request', chunks: [{ id: 'c1', vectorBase64: 'AAAA' }] };
    const lazy = stageMessageOfValue(names, message, value);
    const eager = stageMessage(names, { ...message, body: JSON.stringify(value) });
    assert.equal(lazy.exchange, eager.exchange);
    assert.equal(lazy.routingKey, eager.routingKey);
    assert.equal(lazy.priority, eager.priority);
    assert.deepEqual(lazy.options, eager.options);
    assert.equal(lazy.content.toString('utf8'), eager.content.toString('utf8'));
  });

  it('should not serialize the value until its content is read, and then only once', () => {
    let serialized = 0;
    const value = { toJSON() { serialized += 1; return { type: 'index.request' }; } };
    const lazy = stageMessageOfValue(names, message, value);
    const delivery = handedOverDelivery(lazy);
    assert.equal(serialized, 0);
    assert.equal(handedOverValue(delivery)?.value, value);
    assert.equal(delivery.content.toString('utf8'), '{"type":"index.request"}');
    assert.equal(lazy.content.toString('utf8'), '{"type":"index.request"}');
    assert.equal(serialized, 1);
  });

  it('should give no handed-over value for a message built from JSON text', () => {
    const delivery = handedOverDelivery(stageMessage(names, { ...message, body: '{}' }));
    assert.equal(handedOverValue(delivery), undefined);
    assert.equal(delivery.content.toString('utf8'), '{}');
  });
});
