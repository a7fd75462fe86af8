/** The actor for each stage, built from the configuration and shared components. */
import type { Stage } from '../schema/domain.ts';
import type { SystemConfig } from '../config/config.ts';
import { chunkActor } from './chunk/chunk-actor.ts';
import { embedActor } from './embed/embed-actor.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { fetchActor } from './fetch/fetch-actor.ts';
import { DEFAULT_FETCH_OPTIONS } from './fetch/safe-fetch.ts';
import { indexActor } from './index/index-actor.ts';
import { parseActor } from './parse/parse-actor.ts';
import type { StageActor } from '../messaging/actor-runtime.ts';
import type { Store } from '../stores/store.ts';

export function stageActor(stage: Stage, config: SystemConfig, store: Store, embedder: Embedder): StageActor<any> {
  switch (stage) {
    case 'FETCH':
      return fetchActor({
        ...DEFAULT_FETCH_OPTIONS,
        timeoutMs: config.fetchTimeoutMs,
        maxBytes: config.fetchMaxBytes,
        maxRedirects: config.fetchMaxRedirects,
        allowList: config.fetchAllowList,
      });
    case 'PARSE': return parseActor();
    case 'CHUNK': return chunkActor({ size: config.chunkSize, overlap: config.chunkOverlap });
    case 'EMBED': return embedActor(embedder, store);
    case 'INDEX': return indexActor(store);
  }
}
