/** The actor for each stage, built from the configuration and shared components. */
import type { Stage } from '../schema/domain.ts';
import type { SystemConfig } from '../config/config.ts';
import { chunkActor } from './chunk/chunk-actor.ts';
import type { ChunkOptions } from './chunk/split-sections.ts';
import { embedActor } from './embed/embed-actor.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { fetchActor } from './fetch/fetch-actor.ts';
import { DEFAULT_FETCH_OPTIONS } from './fetch/safe-fetch.ts';
import { indexActor } from './index/index-actor.ts';
import { parseActor } from './parse/parse-actor.ts';
import { ParsePool } from './parse/pool/parse-pool.ts';
import type { StageActor } from '../messaging/actor-runtime.ts';
import type { Store } from '../stores/store.ts';
import type { Logger } from '../observability/logger.ts';

/** The parse actor's worker pool, built from the configuration; its owner closes it. */
export function createParsePool(config: SystemConfig, logger?: Logger): ParsePool {
  return new ParsePool({
    workers: config.parseWorkers, timeoutMs: config.parseTimeoutMs, maxMemoryMb: config.parseMaxMemoryMb, inlineMaxBytes: config.parseInlineMaxBytes, logger,
  });
}

let sharedPool: ParsePool | null = null;

/**
 * The actor for `stage`. The parse actor uses `parsePool`; without one (callers that run a
 * handler or two and do not manage lifetimes), one pool shared by the whole process, whose idle
 * workers do not keep it alive and exit with it.
 */
export function stageActor(stage: Stage, config: SystemConfig, store: Store, embedder: Embedder, parsePool?: ParsePool): StageActor<any> {
  switch (stage) {
    case 'FETCH':
      return fetchActor({
        ...DEFAULT_FETCH_OPTIONS,
        timeoutMs: config.fetchTimeoutMs,
        maxBytes: config.fetchMaxBytes,
        maxRedirects: config.fetchMaxRedirects,
        allowList: config.fetchAllowList,
      });
    case 'PARSE': return parseActor(parsePool ?? (sharedPool ??= createParsePool(config)), store, chunkOptions(config));
    case 'CHUNK': return chunkActor(chunkOptions(config));
    case 'EMBED': return embedActor(embedder, store);
    case 'INDEX': return indexActor(store);
  }
}

/** The chunk stage's settings, which the parse stage needs too: an unchanged document is chunked the same way. */
function chunkOptions(config: SystemConfig): ChunkOptions {
  return { size: config.chunkSize, overlap: config.chunkOverlap };
}
