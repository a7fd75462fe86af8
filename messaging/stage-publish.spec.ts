import assert from 'node:assert/strict';
import type { Options } from 'amqplib';
import { HEADERS } from './headers.ts';
import { publishToStage } from './stage-publish.ts';
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
