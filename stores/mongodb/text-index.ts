/**
 * The Atlas Search (full-text) index beside the vector indexes, for LEXICAL and HYBRID search:
 * one `search` index on `chunks` for every collection and dimension. Text, heading and title are
 * analysed by `lucene.english` (stemmed, as SQLite's porter FTS5 index: "echo" finds "echoing");
 * `collection` is a token, and every metadata path is indexed dynamically as token, number and
 * boolean, so `equals` filters work on any key without updating the definition.
 * https://www.mongodb.com/docs/atlas/atlas-search/define-field-mappings/ (typeSets)
 * https://www.mongodb.com/docs/atlas/atlas-search/analyzers/language/
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { servedPaths } from './index-sync.ts';
import type { SearchIndexInfo } from './index-sync.ts';

export const TEXT_INDEX = 'rag_text';
/** The chunk fields the words of a query are looked for in. */
export const TEXT_PATHS: readonly string[] = ['text', 'heading', 'title'];
const FILTER_TYPE_SET = 'rag_filter_values';

export function textIndexDefinition(): Document {
  const english = { type: 'string', analyzer: 'lucene.english', searchAnalyzer: 'lucene.english' };
  return {
    mappings: {
      dynamic: false,
      fields: {
        ...Object.fromEntries(TEXT_PATHS.map((path) => [path, english])),
        collection: { type: 'token' },
        documentId: { type: 'token' },
        metadata: { type: 'document', dynamic: { typeSet: FILTER_TYPE_SET } },
      },
    },
    typeSets: [{ name: FILTER_TYPE_SET, types: [{ type: 'token' }, { type: 'number' }, { type: 'boolean' }] }],
  };
}

/** Creates the full-text index once and waits, for searches only, until it is queryable. */
export class TextIndex {
  private queryable = false;
  private creating: Promise<void> | null = null;

  constructor(
    private readonly chunks: Collection<Document>,
    private readonly options: { readonly waitMs: number; readonly pollMs: number },
  ) {}

  /** After a write: make sure the index exists, in the background (Atlas then indexes new chunks itself). */
  refresh(): void {
    this.create().catch(() => undefined); // ready() creates it again and reports the error
  }

  /** Before a LEXICAL or HYBRID search: resolves once the index answers queries (READY or STALE). */
  async ready(): Promise<void> {
    if (this.queryable) return;
    await this.create();
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const [info] = (await this.chunks.listSearchIndexes(TEXT_INDEX).toArray()) as SearchIndexInfo[];
      // Queryable first: a FAILED update leaves the previous definition answering.
      if (servedPaths(info) !== null) {
        this.queryable = true;
        return;
      }
      if (info?.status === 'FAILED') {
        throw new Error(`search index "${TEXT_INDEX}" failed to build: ${JSON.stringify(info.message ?? info.statusDetail ?? '')}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`search index "${TEXT_INDEX}" is not queryable after ${this.options.waitMs} ms (status ${String(info?.status)}): ` +
          'Atlas may still be building it; raise MONGODB_INDEX_WAIT_MS or retry');
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }

  private create(): Promise<void> {
    this.creating ??= (async () => {
      const existing = await this.chunks.listSearchIndexes(TEXT_INDEX).toArray();
      if (existing.length > 0) return;
      try {
        await this.chunks.createSearchIndex({ name: TEXT_INDEX, type: 'search', definition: textIndexDefinition() });
      } catch (error) {
        if (!(error instanceof MongoServerError && (error.code === 68 || /already exists/i.test(error.message)))) throw error;
      }
    })().catch((error: unknown) => {
      this.creating = null; // let the next call try again
      throw error;
    });
    return this.creating;
  }
}
