/**
 * Search latency as a client sees it: `search` queries sent one after another to the gateway
 * (which embeds the query and runs the store's search in the given mode), with corpus titles as query texts.
 */
import { postJson } from './http-post.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { startWorkerThread } from '../supervisor/node-command.ts';

const SEARCH = 'query($c: String!, $q: String!, $m: SearchMode, $k: Int, $f: JSON) { search(collection: $c, query: $q, k: $k, mode: $m, filter: $f) { chunkId score } }';

/** A metadata filter for the search (`search(filter:)`): field → value. */
export type BenchFilter = Readonly<Record<string, string | number | boolean>>;

/** HYBRID is the API's default; VECTOR shows the vector index alone. */
export type BenchMode = 'HYBRID' | 'VECTOR' | 'LEXICAL';

/** One search through the API; its hits (chunk id, score). */
export async function searchHits(url: string, collection: string, query: string, mode: BenchMode, k: number, filter?: BenchFilter): Promise<{ chunkId: string; score: number }[]> {
  const body = await postJson<{ data?: { search: { chunkId: string; score: number }[] }; errors?: { message: string }[] }>(
    url, { query: SEARCH, variables: { c: collection, q: query, m: mode, k, f: filter ?? null } });
  if (body.errors?.length || !body.data?.search.length) throw new Error(`search failed: ${JSON.stringify(body.errors ?? body)}`);
  return body.data.search;
}

async function searchOnce(url: string, collection: string, query: string, mode: BenchMode, filter?: BenchFilter): Promise<number> {
  const t0 = performance.now();
  await searchHits(url, collection, query, mode, 5, filter);
  return performance.now() - t0;
}

/** `count` queries on an otherwise idle system, each with `filter` when given. */
export async function searchIdle(url: string, collection: string, queries: readonly string[], count: number, mode: BenchMode = 'HYBRID', filter?: BenchFilter): Promise<LatencySummary> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await searchOnce(url, collection, queries[i % queries.length]!, mode, filter));
  return summarize(samples);
}

export interface SearchLoopOptions {
  readonly url: string;
  readonly collection: string;
  readonly queries: readonly string[];
  readonly mode: BenchMode;
  readonly intervalMs: number;
}

/** Queries until `stop()` is called, one at a time, starting one every `intervalMs` at most; the latencies seen meanwhile. */
export function searchLoop({ url, collection, queries, mode, intervalMs }: SearchLoopOptions): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const started = performance.now();
      samples.push(await searchOnce(url, collection, queries[i % queries.length]!, mode));
      const rest = intervalMs - (performance.now() - started);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * Queries until `stop()` is called, one at a time, starting one every `intervalMs` at most
 * (a steady query rate, not a second full-speed load); returns the latencies seen meanwhile.
 * The client runs on a thread of its own: on the benchmark's event loop, beside the 64 ingest
 * clients, an answer waited there up to ~100 ms before being read (timed per phase in one run).
 * Resolves once the thread has its connection open and one query answered (not counted), as a
 * user already searching would: a connection opened in the first moments of an ingest burst
 * waits behind the 64 clients' own.
 */
export async function searchWhile(url: string, collection: string, queries: readonly string[], mode: BenchMode = 'HYBRID', intervalMs = 100): Promise<{ stop(): Promise<LatencySummary> }> {
  const options: SearchLoopOptions = { url, collection, queries, mode, intervalMs };
  const thread = startWorkerThread('bench/search-client-thread.ts', { workerData: options });
  const failed = new Promise<never>((_, reject) => thread.once('error', reject));
  failed.catch(() => {});
  const next = () => new Promise<unknown>((resolve) => thread.once('message', resolve));
  await Promise.race([next(), failed]);
  return {
    async stop() {
      const samples = next() as Promise<number[]>;
      thread.postMessage('stop');
      const result = await Promise.race([samples, failed]);
      await thread.terminate();
      return summarize(result);
    },
  };
}
