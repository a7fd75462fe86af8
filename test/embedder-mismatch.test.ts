/**
 * A collection queried or written with another embedder: the gateway's search, the embed actor
 * and the store all refuse it with the same message (one rule, schema/embedder-mismatch.ts).
 */
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import type { EmbedderIdentity } from '../schema/domain.ts';
import { EmbedderMismatchError } from '../schema/embedder-mismatch.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { SearchService } from '../gateway/search-service.ts';
import { classify } from '../messaging/errors.ts';
import { createLogger } from '../observability/logger.ts';
import { embedActor } from '../services/embed/embed-actor.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';

const BUILT: EmbedderIdentity = { name: 'hashing-v1', dimension: 4 };
const OTHER: EmbedderIdentity = { name: 'nomic-embed-text', dimension: 8 };
const EXPECTED = 'collection "docs" was indexed with embedder hashing-v1 (4 dimensions), not nomic-embed-text (8 dimensions): ' +
  'use the same embedder or a new collection';

const otherEmbedder: Embedder = {
  identity: async () => OTHER,
  embed: async (texts) => texts.map(() => new Float32Array(OTHER.dimension).fill(1 / Math.sqrt(OTHER.dimension))),
};
/** A store whose "docs" collection was built with BUILT: only what the embed actor reads. */
const builtStore = { getCollectionEmbedder: async (name: string) => (name === 'docs' ? BUILT : null) } as unknown as Store;

/** Indexes one chunk about seals into "docs" with `embedder`. */
function write(store: Store, jobId: string, embedder: EmbedderIdentity) {
  return store.createJob({ id: jobId, collection: 'docs', documentId: jobId, priority: 'NORMAL' })
    .then(() => store.indexDocument({
      jobId,
      document: { id: jobId, collection: 'docs', title: null, mimeType: null, sourceUrl: null, metadata: {}, contentHash: null },
      embedder,
      chunks: [{ id: `${jobId}-0`, ordinal: 0, text: 'seals', heading: null, vector: new Float32Array(embedder.dimension).fill(0.5) }],
    }));
}

describe('embedder mismatch', () => {
  it('when the gateway searches a collection built with another embedder, should answer CONFLICT with the one message', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      await write(store, 'j1', BUILT);
      for (const embedder of [otherEmbedder, { ...otherEmbedder, identity: async () => ({ ...OTHER, dimension: BUILT.dimension }) }]) {
        const error = await new SearchService(store, embedder).search('docs', 'seals', 5, null).then(() => null, (e: unknown) => e);
        assert.ok(error instanceof GraphQLError);
        assert.equal(error.extensions.code, 'CONFLICT');
        assert.match(error.message, /^collection "docs" was indexed with embedder hashing-v1 \(4 dimensions\), not nomic-embed-text/);
      }
      const error = await new SearchService(store, otherEmbedder).search('docs', 'seals', 5, null).then(() => null, (e: unknown) => e);
      assert.equal((error as Error).message, EXPECTED);
      // LEXICAL needs no embedding: any gateway may run it.
      assert.equal((await new SearchService(store, otherEmbedder).search('docs', 'seals', 5, null, 'LEXICAL')).length, 1);
    } finally {
      await store.close();
    }
  });

  it('when the embed actor embeds for a collection built with another embedder, should fail the job with the one message', async () => {
    const actor = embedActor(otherEmbedder, builtStore);
    const message = actor.parse({
      type: 'embed.request', version: 1,
      job: { jobId: 'j1', collection: 'docs', documentId: 'd1', priority: 'NORMAL' },
      document: { title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null },
      chunks: [{ id: 'c1', ordinal: 0, text: 'seals', heading: null }],
    });
    const context = {
      stage: 'EMBED' as const, attempt: 1, signal: new AbortController().signal,
      logger: createLogger('test', 'silent'), progress: async () => {},
    };
    await assert.rejects(actor.handle(message, context), (error: unknown) => error instanceof EmbedderMismatchError && error.message === EXPECTED && classify(error) === 'fail');
  });

  it('when the store indexes with another embedder, should throw EmbedderMismatchError with the one message', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      await write(store, 'j1', BUILT);
      await assert.rejects(write(store, 'j2', OTHER), (error: unknown) => error instanceof EmbedderMismatchError && error.message === EXPECTED);
    } finally {
      await store.close();
    }
  });
});
