/**
 * Keeps each dimension's vector search index in step with the metadata paths the registry has
 * seen, without making writers or searches wait for a rebuild they do not need.
 *
 * Atlas builds a changed definition in the background and keeps answering queries with the old
 * one meanwhile; a STALE index is queryable too, only behind on the newest writes
 * (https://www.mongodb.com/docs/atlas/atlas-search/manage-indexes/, index statuses). So:
 * - after a write, `refresh` submits the new definition and returns at once: the index write
 *   never waits for a build;
 * - a search waits only when its filter names a path the definition being served lacks (a
 *   filter on an undeclared path would match nothing), and then only for that path;
 * - an update is always the union of the live definition and the wanted one, so two processes
 *   with different registry snapshots never undo each other's paths.
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import {
  BASE_FILTER_PATHS, declares, definitionKey, filterPaths, unionDefinition, vectorIndexDefinition, vectorIndexName,
} from './vector-index.ts';
import type { Quantization } from './vector-index.ts';

/** One host's view of an index in `$listSearchIndexes` output. */
interface HostIndex {
  readonly queryable?: boolean;
  readonly mainIndex?: { readonly queryable?: boolean; readonly definition?: Document };
}

/** What `$listSearchIndexes` reports about one index (the fields read here). */
export interface SearchIndexInfo {
  readonly name: string;
  readonly status?: string;
  readonly queryable?: boolean;
  readonly latestDefinition?: Document;
  readonly message?: unknown;
  readonly statusDetail?: readonly HostIndex[];
}

/**
 * The filter paths queries can use now, or null when the index cannot be queried. READY and
 * STALE serve the latest definition; while a new one builds, the old one (`mainIndex`) serves;
 * when the old one is not reported, only the paths every definition has are certain.
 */
export function servedPaths(info: SearchIndexInfo | undefined): Set<string> | null {
  if (info === undefined || info.queryable !== true) return null;
  if (info.status === 'READY' || info.status === 'STALE') return filterPaths(info.latestDefinition);
  const main = info.statusDetail?.find((host) => host.mainIndex?.queryable === true && host.mainIndex.definition);
  return main ? filterPaths(main.mainIndex!.definition) : new Set(BASE_FILTER_PATHS);
}

/** Options of VectorIndexes. */
export interface IndexSyncOptions {
  /** How long a search waits for a path its filter needs, in ms. */
  readonly waitMs: number;
  /** Poll interval while waiting, in ms. */
  readonly pollMs: number;
  readonly quantization: Quantization;
}

export class VectorIndexes {
  /** Paths known to be served per dimension: a search on them needs no round trip. */
  private readonly served = new Map<number, Set<string>>();
  /** Index changes run one at a time per dimension within this process. */
  private readonly queues = new Map<number, Promise<unknown>>();
  /** The last background refresh failure per dimension, reported by the next search that waits. */
  private readonly failures = new Map<number, unknown>();

  constructor(
    private readonly chunks: Collection<Document>,
    /** The metadata paths the registry holds for every collection of a dimension. */
    private readonly registryPaths: (dimension: number) => Promise<string[]>,
    private readonly options: IndexSyncOptions,
  ) {}

  /** Submits the definition the registry calls for, in the background; never waits for the build. */
  refresh(dimension: number): void {
    this.enqueue(dimension, () => this.apply(dimension)).then(
      () => this.failures.delete(dimension),
      (error: unknown) => this.failures.set(dimension, error),
    );
  }

  /** Resolves once the index serves every one of `paths` (and the collection filters). */
  async ready(dimension: number, paths: readonly string[]): Promise<void> {
    const needed = [...BASE_FILTER_PATHS, ...paths];
    const known = this.served.get(dimension);
    if (known && needed.every((path) => known.has(path))) return;
    const name = vectorIndexName(dimension);
    const deadline = Date.now() + this.options.waitMs;
    let submitted = false;
    for (;;) {
      const info = await this.describe(name);
      const served = servedPaths(info);
      if (served !== null && needed.every((path) => served.has(path))) {
        this.served.set(dimension, served);
        return;
      }
      // A rejected update leaves the index FAILED while its previous definition still answers
      // (Atlas: "you can continue to use the old index"): only what that one cannot serve fails.
      if (info?.status === 'FAILED') {
        throw new Error(`vector search index "${name}" failed to build: ${JSON.stringify(info.message ?? info.statusDetail ?? '')}`);
      }
      if (!submitted && (info === undefined || !declares(info.latestDefinition, needed))) {
        await this.enqueue(dimension, () => this.apply(dimension));
        submitted = true;
      }
      if (Date.now() > deadline) {
        const failure = this.failures.get(dimension);
        throw new Error(
          `vector search index "${name}" does not serve filter paths ${needed.filter((path) => !served?.has(path)).join(', ')} ` +
          `after ${this.options.waitMs} ms (status ${String(info?.status)}): Atlas may still be building it; ` +
          `raise MONGODB_INDEX_WAIT_MS or retry${failure instanceof Error ? ` (last update failed: ${failure.message})` : ''}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }

  /** Creates the index, or updates it to the union of its latest definition and the wanted one. */
  private async apply(dimension: number): Promise<void> {
    const name = vectorIndexName(dimension);
    const wanted = vectorIndexDefinition(dimension, await this.registryPaths(dimension), this.options.quantization);
    const existing = await this.describe(name);
    if (existing === undefined) {
      try {
        await this.chunks.createSearchIndex({ name, type: 'vectorSearch', definition: wanted });
        return;
      } catch (error) {
        // Another process created it first (IndexAlreadyExists): merge into theirs below.
        if (!(error instanceof MongoServerError && (error.code === 68 || /already exists/i.test(error.message)))) throw error;
      }
    }
    const live = existing?.latestDefinition ?? (await this.describe(name))?.latestDefinition;
    const merged = unionDefinition(live, wanted);
    if (definitionKey(merged) !== definitionKey(live)) await this.chunks.updateSearchIndex(name, merged);
  }

  private async describe(name: string): Promise<SearchIndexInfo | undefined> {
    const [info] = (await this.chunks.listSearchIndexes(name).toArray()) as SearchIndexInfo[];
    return info;
  }

  private enqueue(dimension: number, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(dimension) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.queues.set(dimension, next);
    return next;
  }
}
