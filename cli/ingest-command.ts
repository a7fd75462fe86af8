/**
 * `rag ingest <files | folders | globs | URLs…> -c <collection>`: sends documents in batches through
 * ingestDocuments; with --watch follows them live over the jobEvents subscription and exits 1 when
 * any job did not succeed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PRIORITIES } from '../schema/domain.ts';
import { Command, Option } from 'commander';
import { collectSources, type Source } from './collect-sources.ts';
import { UsageError, type Connection } from './connection.ts';
import { connectionOf, type CliContext } from './context.ts';
import { connected, request, subscribe, subscriptionClient } from './graphql-client.ts';
import { IngestTracker } from './ingest-tracker.ts';
import { printSummary, type SkippedSource } from './ingest-summary.ts';
import { fetchJobs } from './job-lookup.ts';
import { JOB_EVENT_SELECTION, JOB_SELECTION, type JobEventState, type JobState } from './job-state.ts';
import { ExitCode, printJson, printLine } from './output.ts';
import { fileOfDocumentId, prepareInput, type IngestInput } from './prepare-input.ts';
import { pruneRemovedFiles } from './prune-removed.ts';
import { createProgressView } from './progress-view.ts';
import { sendWhenAccepted } from './send-when-accepted.ts';
import { positiveInt } from './parse-options.ts';

/** How often a watch reads the state of its oldest unfinished jobs, and how many it reads. */
const STATE_CHECK_MS = 2000;
const STATE_CHECK_JOBS = 50;

/** Options of `rag ingest`. */
export interface IngestOptions {
  readonly collection: string;
  readonly priority: string;
  readonly force: boolean;
  readonly prune: boolean;
  readonly watch: boolean;
  /** Documents per ingestDocuments request; default 20. */
  readonly batchSize: number;
  readonly cancelOnExit: boolean;
  readonly json: boolean;
}

/** A batch also ends at this much base64, well under the gateway's default body limit. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const INGEST = `mutation Ingest($inputs: [IngestInput!]!) { ingestDocuments(inputs: $inputs) { ${JOB_SELECTION} } }`;
const JOB_EVENTS = `subscription IngestEvents($collection: String) { jobEvents(collection: $collection) { ${JOB_EVENT_SELECTION} } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelJob(id: $id) { id status } }`;

export function ingestCommand(context: CliContext): Command {
  return new Command('ingest')
    .description('ingest files, folders (recursively), globs and http(s) URLs into a collection')
    .argument('<sources...>', 'files, folders, globs (quote them) or http(s) URLs')
    .requiredOption('-c, --collection <name>', 'collection to ingest into ([a-z0-9_-]{1,64})')
    .addOption(new Option('-p, --priority <priority>', 'job priority').choices(PRIORITIES).default('NORMAL'))
    .option('-w, --watch', 'follow the jobs live until they finish; exit 1 if any fails', false)
    .option('--force', 'process every document again, even those unchanged since they were indexed', false)
    .option('--prune', 'delete the documents of files removed from the folders given (their file:<path> ids)', false)
    .option('--batch-size <n>', 'documents per request', positiveInt('--batch-size'), 20)
    .option('--cancel-on-exit', 'with --watch: on Ctrl-C cancel the unfinished jobs instead of leaving them running', false)
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (sources: string[], options: IngestOptions, command: Command) => {
      process.exitCode = await runIngest(sources, options, connectionOf(command, context), context);
    });
}

/** Runs one ingest and returns the exit code. */
async function runIngest(args: readonly string[], options: IngestOptions, connection: Connection, context: CliContext): Promise<number> {
  const sources = await collectSources(args, context.cwd);
  if (sources.length === 0) throw new UsageError(`rag ingest: no files found in ${args.join(' ')}`);
  const view = createProgressView(context, { json: options.json || !options.watch });
  const tracker = new IngestTracker(view);
  const skipped: SkippedSource[] = [];
  const interrupted = options.watch ? context.interrupted() : undefined;

  let finish: (reason: 'done' | 'interrupted' | Error) => void = () => {};
  const finished = new Promise<'done' | 'interrupted' | Error>((resolve) => { finish = resolve; });
  let sending = true;
  const check = () => { if (!sending && tracker.allFinished()) finish('done'); };
  interrupted?.addEventListener('abort', () => finish('interrupted'), { once: true });

  // Subscribe before sending anything, so no event of our jobs can be missed.
  const client = options.watch ? subscriptionClient(connection) : undefined;
  let stopEvents = () => {};
  let stateCheck: NodeJS.Timeout | undefined;
  let connections = 0;
  const refresh = async (ids: readonly string[]) => {
    for (const job of await fetchJobs(connection, ids)) tracker.apply(job);
    check();
  };
  try {
    if (client !== undefined) {
      const ready = connected(client, connection);
      // After a reconnect, events sent while the socket was down are lost: read the states once.
      client.on('connected', () => {
        connections += 1;
        if (connections > 1) refresh(tracker.unfinished().map((job) => job.state.id)).catch((error: Error) => finish(error));
      });
      stopEvents = subscribe<{ jobEvents: JobEventState }>(client, JOB_EVENTS, { collection: options.collection }, {
        next: (data) => { tracker.apply(data.jobEvents.job); check(); },
        error: (error) => finish(error),
        complete: () => finish(new Error('the gateway ended the jobEvents subscription')),
      });
      const early = await Promise.race([ready.then(() => null), finished]);
      if (early instanceof Error) throw early;
    }

    const started = Date.now();
    for await (const batch of batches(sources, options, skipped, view)) {
      if (interrupted?.aborted) break;
      const { ingestDocuments } = await sendWhenAccepted(
        () => request<{ ingestDocuments: JobState[] }>(connection, INGEST, { inputs: batch.map((item) => item.input) }),
        (line) => context.stderr.write(`${line}\n`), interrupted);
      ingestDocuments.forEach((job, index) => tracker.accept(batch[index]?.name ?? job.id, job));
      // Covers the race the subscription cannot: events published before it was registered.
      if (options.watch) await refresh(ingestDocuments.map((job) => job.id));
    }
    sending = false;
    tracker.sendingDone();
    const pruned = options.prune && !interrupted?.aborted ? await pruneRemovedFiles(connection, options.collection, await foldersOf(args, context.cwd)) : [];
    for (const id of pruned) view.note(`${fileOfDocumentId(id) ?? id}: pruned (the file is gone)`);
    if (tracker.accepted === 0) {
      view.stop();
      if (options.json) printJson(context, { collection: options.collection, jobs: [], skipped, ...(options.prune ? { pruned } : {}) });
      else printLine(context, `nothing to ingest: every source was skipped (${skipped.length})`);
      return ExitCode.FAILURE;
    }
    if (!options.watch) {
      printQueued(context, options, tracker.jobs().map((job) => ({ file: job.name, jobId: job.state.id, documentId: job.state.documentId, status: job.state.status })), skipped, pruned);
      return ExitCode.OK;
    }
    check();
    // Events are best effort: none goes out while the actors have not yet heard that this watch
    // subscribed, and one can be lost. So the oldest unfinished jobs are also read every few seconds.
    stateCheck = setInterval(() => {
      refresh(tracker.unfinished().slice(0, STATE_CHECK_JOBS).map((job) => job.state.id)).catch(() => { /* the next check tries again */ });
    }, STATE_CHECK_MS);
    const outcome = await finished;
    stopEvents();
    view.stop();
    if (outcome instanceof Error) throw outcome;
    if (outcome === 'interrupted') return await onInterrupt(connection, context, options, tracker, skipped, Date.now() - started);
    printSummary(context, { collection: options.collection, jobs: tracker.jobs(), skipped, elapsedMs: Date.now() - started, ...(options.prune ? { pruned } : {}) }, options.json);
    return tracker.anyFailed() ? ExitCode.FAILURE : ExitCode.OK;
  } catch (error) {
    view.stop();
    if (tracker.accepted > 0) {
      context.stderr.write(`${tracker.accepted} documents were accepted before this error and keep running; follow them with: rag jobs --collection ${options.collection}\n`);
    }
    throw error;
  } finally {
    clearInterval(stateCheck);
    stopEvents();
    await client?.dispose();
  }
}

/** Ctrl-C while watching: leave the jobs running, or cancel them with --cancel-on-exit. */
async function onInterrupt(connection: Connection, context: CliContext, options: IngestOptions, tracker: IngestTracker, skipped: SkippedSource[], elapsedMs: number): Promise<number> {
  const unfinished = tracker.unfinished();
  const cancelled: string[] = [];
  if (options.cancelOnExit) {
    for (const job of unfinished) {
      try {
        await request(connection, CANCEL, { id: job.state.id });
        cancelled.push(job.state.id);
      } catch (error) {
        context.stderr.write(`could not cancel ${job.name} (job ${job.state.id}): ${(error as Error).message}\n`);
      }
    }
  }
  printSummary(context, { collection: options.collection, jobs: tracker.jobs(), skipped, elapsedMs, interrupted: { cancelled } }, options.json);
  context.stderr.write(options.cancelOnExit
    ? `interrupted: cancelled ${cancelled.length} of ${unfinished.length} unfinished jobs\n`
    : `interrupted: stopped watching; ${unfinished.length} unfinished jobs keep running (rag jobs --collection ${options.collection})\n`);
  return ExitCode.INTERRUPTED;
}

/** Sources read and typed lazily, grouped by count and size; skipped ones are reported as they come. */
async function* batches(sources: readonly Source[], options: IngestOptions, skipped: SkippedSource[], view: ReturnType<typeof createProgressView>) {
  let batch: { name: string; input: IngestInput }[] = [];
  let bytes = 0;
  for (const source of sources) {
    const prepared = await prepareInput(source, { collection: options.collection, priority: options.priority, force: options.force });
    if ('skipped' in prepared) {
      skipped.push({ file: source.name, reason: prepared.skipped });
      view.note(`${source.name}: skipped (${prepared.skipped})`);
      continue;
    }
    const size = prepared.input.contentBase64?.length ?? 0;
    if (batch.length > 0 && (batch.length >= options.batchSize || bytes + size > MAX_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push({ name: source.name, input: prepared.input });
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

function printQueued(
  context: CliContext, options: IngestOptions, jobs: readonly { file: string; jobId: string; documentId: string; status: string }[],
  skipped: readonly SkippedSource[], pruned: readonly string[],
): void {
  if (options.json) {
    printJson(context, { collection: options.collection, jobs, skipped, ...(options.prune ? { pruned } : {}) });
    return;
  }
  for (const skip of skipped) printLine(context, `${skip.file}: skipped (${skip.reason})`);
  for (const job of jobs) printLine(context, `${job.file}: ${job.status} as job ${job.jobId}`);
  for (const id of pruned) printLine(context, `${fileOfDocumentId(id) ?? id}: pruned (the file is gone)`);
  printLine(context, `${jobs.length} documents queued in "${options.collection}", ${skipped.length} skipped${options.prune ? `, ${pruned.length} pruned` : ''}; follow them with: rag jobs --collection ${options.collection}`);
}

/** The arguments that are folders, as absolute paths: the only places --prune looks. */
async function foldersOf(args: readonly string[], cwd: string): Promise<string[]> {
  const folders: string[] = [];
  for (const arg of args) {
    const absolute = path.resolve(cwd, arg);
    if ((await stat(absolute).catch(() => undefined))?.isDirectory()) folders.push(absolute);
  }
  return folders;
}
