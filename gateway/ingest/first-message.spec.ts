import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JobRef } from '../../schema/messages/contract.ts';
import { parseFetchRequest } from '../../schema/messages/fetch-request.ts';
import { parseParseRequest } from '../../schema/messages/parse-request.ts';
import { silentLogger } from '../../observability/logger.ts';
import { fetchActor } from '../../services/fetch/fetch-actor.ts';
import { DEFAULT_FETCH_OPTIONS } from '../../services/fetch/safe-fetch.ts';
import { firstMessage } from './first-message.ts';
import { planIngest, type IngestInput } from './ingest-plan.ts';

const JOB: JobRef = { jobId: 'job-1', collection: 'docs', documentId: 'doc-1', priority: 'HIGH' };
const LIMITS = { maxDocumentBytes: 1_000_000 };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** What the fetch actor makes of the fetch.request a gateway sent for inline content before issue 15. */
async function viaFetchActor(input: IngestInput): Promise<unknown> {
  const plan = planIngest(input, LIMITS);
  assert.equal(plan.source.kind, 'inline');
  const request = parseFetchRequest({
    type: 'fetch.request', version: 1, job: JOB,
    document: { title: plan.title, mimeType: plan.mimeType, sourceUrl: null, metadata: plan.metadata, contentHash: null },
    source: { kind: 'inline', contentBase64: plan.source.kind === 'inline' ? plan.source.bytes.toString('base64') : '' },
  });
  const context = { stage: 'FETCH' as const, attempt: 1, signal: new AbortController().signal, logger: silentLogger, progress: async () => {} };
  const result = await fetchActor(DEFAULT_FETCH_OPTIONS).handle(request, context);
  assert.ok('next' in result);
  return result.next;
}

describe('a job\'s first message', () => {
  const html = Buffer.from('<!doctype html><html><head><title>Owls</title></head><body><h1>Owls</h1><p>Owls fly silently.</p></body></html>');
  const cases: { name: string; input: IngestInput; mimeType: string; bytes: Buffer }[] = [
    { name: 'text without a type', input: { collection: 'docs', text: 'Owls fly silently.' }, mimeType: 'text/plain', bytes: Buffer.from('Owls fly silently.') },
    {
      name: 'text given as Markdown, with title and metadata',
      input: { collection: 'docs', text: '# Owls\n\nThey fly silently.', mimeType: 'text/markdown', title: 'Owls', metadata: { lang: 'en' } },
      mimeType: 'text/markdown', bytes: Buffer.from('# Owls\n\nThey fly silently.'),
    },
    { name: 'base64 content whose type is detected', input: { collection: 'docs', contentBase64: html.toString('base64'), title: 'owls.html' }, mimeType: 'text/html', bytes: html },
    {
      name: 'base64 content with its type given',
      input: { collection: 'docs', contentBase64: html.toString('base64'), mimeType: 'text/plain' }, mimeType: 'text/plain', bytes: html,
    },
  ];

  for (const { name, input, mimeType, bytes } of cases) {
    it(`when inline content arrives (${name}), should be the fetch actor's parse.request for it, sent to PARSE`, async () => {
      const first = firstMessage(planIngest(input, LIMITS), JOB);
      assert.equal(first.stage, 'PARSE');
      assert.deepEqual(first.message, await viaFetchActor(input));
      const message = parseParseRequest(first.message);
      assert.equal(message.mimeType, mimeType);
      assert.deepEqual(message.document, {
        title: input.title ?? null, mimeType, sourceUrl: null, metadata: input.metadata ?? {}, contentHash: sha256(bytes),
      });
      assert.equal(message.contentBase64, bytes.toString('base64'));
      assert.deepEqual(message.job, JOB);
    });
  }

  it('when a URL arrives, should be a fetch.request for it, sent to FETCH', () => {
    const first = firstMessage(planIngest({ collection: 'docs', url: 'https://example.org/owls.html', title: 'Owls' }, LIMITS), JOB);
    assert.equal(first.stage, 'FETCH');
    assert.deepEqual(parseFetchRequest(first.message), {
      type: 'fetch.request', version: 1, job: JOB,
      document: { title: 'Owls', mimeType: null, sourceUrl: 'https://example.org/owls.html', metadata: {}, contentHash: null },
      source: { kind: 'url', url: 'https://example.org/owls.html' },
    });
  });
});
