/**
 * Holding a large backlog: with the actors stopped, `count` small jobs go through the gateway
 * (ingestDocuments in batches) into the parse queue (inline text skips the fetch stage); then the
 * gateway's memory is read, the actors are started against the full queue for a while and theirs
 * is read too. Memory must
 * not grow with the backlog: the gateway keeps no per-job state and each actor holds at most
 * its prefetch window. The queue is purged afterwards.
 */
import { postJson } from './http-post.ts';

const MUTATION = 'mutation($inputs: [IngestInput!]!) { ingestDocuments(inputs: $inputs) { id } }';

export async function publishPendingJobs(url: string, collection: string, count: number, batch = 100, concurrency = 4): Promise<number> {
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next += batch;
      const inputs = Array.from({ length: Math.min(batch, count - from) }, (_, i) => ({
        collection, documentId: `${collection}-${from + i}`, text: `pending job ${from + i}: a short note about queue ${from + i}`,
      }));
      const body = await postJson<{ data?: { ingestDocuments: unknown[] }; errors?: { message: string }[] }>(url, { query: MUTATION, variables: { inputs } });
      if (body.errors?.length) throw new Error(`pending-job publish failed: ${body.errors[0]!.message}`);
      accepted += body.data!.ingestDocuments.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return accepted;
}
