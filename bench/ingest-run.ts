/**
 * Drives one ingestion run as clients would: every corpus document through `ingestDocument`
 * on a gateway, sent open-loop at `ratePerSecond` (the target rate, so a slow server shows as
 * growing latency rather than as a politely slower client), with at most `concurrency`
 * requests in flight over connections opened beforehand, timing each mutation. When the jobs are done,
 * ingest-to-searchable is each job's `finished_at` (written by the index transaction that makes
 * its chunks searchable) minus the moment its mutation was sent.
 */
import Database from 'better-sqlite3';
import { ErrorCode } from '../schema/error-code.ts';
import type { CorpusDocument } from './corpus.ts';
import { postJson } from './http-post.ts';
import { mergeSummaries, summarize, type LatencySummary } from './stats.ts';

/** What one run measured. */
export interface IngestRunResult {
  readonly documents: number;
  readonly chunks: number;
  readonly failed: number;
  readonly refused: number;
  readonly mutationMs: LatencySummary;
  readonly searchableMs: LatencySummary;
  readonly seconds: number;
  /** From the first mutation sent until the last one answered: how long accepting took. */
  readonly acceptSeconds: number;
  readonly documentsPerSecond: number;
  /** MB of document text per second. */
  readonly megabytesPerSecond: number;
  readonly chunksPerSecond: number;
}

const MUTATION = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

export async function ingestRun(options: {
  readonly url: string;
  readonly dbPath: string;
  readonly collection: string;
  readonly documents: readonly CorpusDocument[];
  readonly concurrency: number;
  readonly ratePerSecond: number;
  readonly timeoutMs: number;
}): Promise<IngestRunResult> {
  const sentAt = new Map<string, number>();
  const mutationMs: number[] = [];
  let refused = 0;
  let next = 0;
  // Each client opens its connection first, as a client keeping a pool of them would: the run
  // measures answers to ingests, not 64 TCP handshakes and HTTP parsers set up in the same instant.
  await Promise.all(Array.from({ length: options.concurrency }, () => postJson(options.url, { query: '{ __typename }' })));
  const started = Date.now();
  const worker = async () => {
    while (next < options.documents.length) {
      const index = next++;
      const doc = options.documents[index]!;
      // Open loop: document i is due at start + i / rate, whenever the previous one returned.
      const due = started + (index * 1000) / options.ratePerSecond - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      const input = { collection: options.collection, documentId: `${options.collection}-${doc.id}`, title: doc.title, text: doc.text, mimeType: doc.mimeType };
      for (;;) {
        const sent = Date.now();
        const t0 = performance.now();
        const body = await postJson<{ data?: { ingestDocument: { id: string } }; errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } }[] }>(
          options.url, { query: MUTATION, variables: { input } });
        mutationMs.push(performance.now() - t0);
        const error = body.errors?.[0];
        if (!error) { sentAt.set(body.data!.ingestDocument.id, sent); break; }
        if (error.extensions?.code !== ErrorCode.BACKPRESSURE) throw new Error(`ingest failed: ${error.message}`);
        refused += 1; // a well-behaved client waits as told, then sends again
        await new Promise((resolve) => setTimeout(resolve, (error.extensions?.retryAfterSeconds ?? 1) * 1000));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const acceptSeconds = (Date.now() - started) / 1000;

  const db = new Database(options.dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, status, finished_at, chunk_count FROM jobs WHERE collection = ?');
    const deadline = Date.now() + options.timeoutMs;
    let done: { id: string; status: string; finished_at: number | null; chunk_count: number | null }[] = [];
    for (;;) {
      done = (rows.all(options.collection) as typeof done).filter((row) => row.finished_at !== null && sentAt.has(row.id));
      if (done.length >= sentAt.size) break;
      if (Date.now() > deadline) throw new Error(`${sentAt.size - done.length} of ${sentAt.size} jobs unfinished after ${options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const succeeded = done.filter((row) => row.status === 'SUCCEEDED');
    const last = Math.max(...done.map((row) => row.finished_at!));
    const seconds = (last - started) / 1000;
    const chunks = succeeded.reduce((sum, row) => sum + (row.chunk_count ?? 0), 0);
    return {
      documents: succeeded.length,
      chunks,
      failed: done.length - succeeded.length,
      refused,
      mutationMs: summarize(mutationMs),
      searchableMs: summarize(succeeded.map((row) => row.finished_at! - sentAt.get(row.id)!)),
      seconds: Math.round(seconds * 100) / 100,
      acceptSeconds: Math.round(acceptSeconds * 100) / 100,
      documentsPerSecond: Math.round(succeeded.length / seconds),
      megabytesPerSecond: Math.round(options.documents.reduce((sum, doc) => sum + Buffer.byteLength(doc.text), 0) / 1e4 / seconds) / 100,
      chunksPerSecond: Math.round(chunks / seconds),
    };
  } finally {
    db.close();
  }
}

/** Several runs as one: totals, rates over their summed time, latencies over all their samples. */
export function combineRuns(runs: readonly IngestRunResult[]): IngestRunResult {
  const sum = (pick: (run: IngestRunResult) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const seconds = sum((run) => run.seconds);
  const documents = sum((run) => run.documents);
  const chunks = sum((run) => run.chunks);
  return {
    documents, chunks, failed: sum((run) => run.failed), refused: sum((run) => run.refused),
    mutationMs: mergeSummaries(runs.map((run) => run.mutationMs)),
    searchableMs: mergeSummaries(runs.map((run) => run.searchableMs)),
    seconds: Math.round(seconds * 100) / 100,
    acceptSeconds: Math.round(sum((run) => run.acceptSeconds) * 100) / 100,
    documentsPerSecond: Math.round(documents / seconds),
    megabytesPerSecond: Math.round((sum((run) => run.megabytesPerSecond * run.seconds) / seconds) * 100) / 100,
    chunksPerSecond: Math.round(chunks / seconds),
  };
}
