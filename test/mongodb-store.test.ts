/**
 * The store contract against MongoDB Atlas Vector Search: on MONGODB_URI when set (Atlas or
 * Atlas Local), else in a testcontainers `mongodb/mongodb-atlas-local` container where a container
 * engine answers, else skipped with one line. Every store opened gets its own database, dropped after.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { mongoStoreOptions } from '../config/components.ts';
import { defaultConfig } from '../config/config.ts';
import { openMongoStore } from '../stores/mongodb/mongo-store.ts';
import { SearchNotSupportedError } from '../stores/mongodb/search-support.ts';
import { VectorDimensionError } from '../stores/mongodb/vector-index.ts';
import { describeStoreContract } from './store-contract.ts';
import { containerEngineUnavailable, loadTestcontainers } from './support/container-engine.ts';

interface Started {
  readonly uri: string;
  readonly stop: () => Promise<void>;
}

/** The image compose/compose.yaml pins: it has `$exists` in `$vectorSearch` filters and `$search`. */
const ATLAS_LOCAL_IMAGE = 'mongodb/mongodb-atlas-local:8.2.6-20260715T144108Z';
const COMMUNITY_IMAGE = 'mongo:7';

/** Starts `image` with port 27017 published and returns a direct-connection URI to it. */
async function startMongoContainer(image: string): Promise<Started> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  let builder = new GenericContainer(image).withExposedPorts(27017);
  // Atlas Local declares a health check that turns healthy once mongod and mongot are up.
  builder = image === ATLAS_LOCAL_IMAGE ? builder.withWaitStrategy(Wait.forHealthCheck()) : builder.withWaitStrategy(Wait.forListeningPorts());
  const container = await builder.withStartupTimeout(240_000).start();
  return {
    uri: `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/?directConnection=true`,
    stop: async () => { await container.stop(); },
  };
}

/** Each test's database goes with it. */
async function dropDatabase(uri: string, db: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

describe('MongoDB store', function () {
  this.timeout(300_000);
  let uri = '';
  let usingContainers = false;
  const started: Started[] = [];

  before(async function () {
    if (process.env.MONGODB_URI) {
      uri = process.env.MONGODB_URI;
      return;
    }
    const reason = await containerEngineUnavailable();
    if (reason !== null) {
      console.log(`    MongoDB store: skipped — set MONGODB_URI (and MONGODB_COMMUNITY_URI for the plain-mongod check) or run a container engine (${reason})`);
      this.skip();
    }
    const atlas = await startMongoContainer(ATLAS_LOCAL_IMAGE);
    started.push(atlas);
    uri = atlas.uri;
    usingContainers = true;
  });

  after(async () => {
    for (const container of started.splice(0)) await container.stop();
  });

  describeStoreContract('mongodb', async () => {
    const db = `rag_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    // Collections past four chunks are deleted in steps of two documents, so the contract covers both ways.
    const collectionDeletion = { transactionMaxChunks: 4, documentsPerStep: 2 };
    const store = await openMongoStore({ ...mongoStoreOptions(defaultConfig({ mongodbDb: db }), uri), indexPollMs: 200, collectionDeletion });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropDatabase(uri, db);
      },
    };
    // LEXICAL on Atlas Search ($search); HYBRID fuses it with $vectorSearch as the embedded store does.
  }, { lexical: true });

  describe('with binary quantization (MONGODB_QUANTIZATION=binary)', () => {
    it('when an embedder\'s dimension is not a multiple of 8, should refuse the index write naming both, writing nothing', async () => {
      const db = `rag_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const store = await openMongoStore({ ...mongoStoreOptions(defaultConfig({ mongodbDb: db, mongodbQuantization: 'binary' }), uri), indexPollMs: 200 });
      try {
        const job = await store.createJob({ id: `job-${randomUUID()}`, collection: 'glove', documentId: 'doc', priority: 'NORMAL' });
        const document = { id: 'doc', collection: 'glove', title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: 'h' };
        const chunk = { id: 'doc:0', ordinal: 0, text: 'fifty dimensions', heading: null, vector: new Float32Array(50).fill(0.1) };
        await assert.rejects(
          store.indexDocument({ jobId: job.id, document, embedder: { name: 'glove-50', dimension: 50 }, chunks: [chunk] }),
          (error: unknown) => error instanceof VectorDimensionError && /50 is not a multiple of 8/.test(error.message),
        );
        assert.equal(await store.getDocument('glove', 'doc'), null);
        assert.equal(await store.getCollection('glove'), null);
        assert.equal((await store.getJob(job.id))?.status, 'QUEUED');
      } finally {
        await store.close();
        await dropDatabase(uri, db);
      }
    });
  });

  describe('on a MongoDB without search support', () => {
    it('when the store opens, should fail naming Atlas Local as the fix', async function () {
      const communityUri = process.env.MONGODB_COMMUNITY_URI;
      let community: Started | undefined;
      if (!communityUri) {
        if (!usingContainers) {
          console.log('      skipped — set MONGODB_COMMUNITY_URI (a plain mongod) or run a container engine');
          this.skip();
        }
        community = await startMongoContainer(COMMUNITY_IMAGE);
        started.push(community);
      }
      await assert.rejects(
        openMongoStore(mongoStoreOptions(defaultConfig({ mongodbDb: `rag_test_${randomUUID().slice(0, 8)}` }), communityUri ?? community!.uri)),
        (error: unknown) => error instanceof SearchNotSupportedError && /Atlas Local/.test(error.message),
      );
    });
  });
});
