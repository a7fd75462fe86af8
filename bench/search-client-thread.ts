/**
 * A search client on a thread of its own (see searchWhile in search-load.ts): it sends its queries
 * and reads the answers on an event loop that the benchmark's 64 ingest clients do not share, as a
 * user searching from another machine would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { searchHits, searchLoop, type SearchLoopOptions } from './search-load.ts';

const options = workerData as SearchLoopOptions;
// The connection opened and one answer read before the measured loop starts.
await searchHits(options.url, options.collection, options.queries[0]!, options.mode, 5);
const loop = searchLoop(options);
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  parentPort!.postMessage(await loop.stop());
});
