/**
 * `npm run bench`: the synchronous baseline against the asynchronous pipeline, side by side in
 * one run, on the Node.js API documentation (Debian nodejs-doc), with the local hashing
 * embedder, against the real RabbitMQ under a namespace of its own (deleted afterwards): first
 * the parsers' own speed, then the sections corpus (small Markdown documents) and the pages
 * corpus (whole HTML pages), each with the CPU seconds every process spent on it.
 * Prints a table against the targets and writes bench/results/<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { ENTRY_STAGES, STAGES } from '../schema/domain.ts';
import { createEmbedder, createRetryPolicy, openStore } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import { topology } from '../messaging/topology.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { splitNodeUrls } from '../messaging/node-urls.ts';
import { confirmLatency } from './broker-floor.ts';
import { addCpuCounts, brokerPid, cpuSeconds, ownCpuSeconds, startCpuCount, treeCpuSeconds, type CpuCount } from './cpu.ts';
import { queryTitles, loadCorpus, loadHtmlPages, loadMarkdownPages, type CorpusDocument } from './corpus.ts';
import { combineRuns, ingestRun, type IngestRunResult } from './ingest-run.ts';
import { mergeSummaries, type LatencySummary } from './stats.ts';
import { describeMachine } from './machine.ts';
import { publishPendingJobs } from './pending-jobs.ts';
import { Preloader, preloadTextsOf } from './preload.ts';
import { cleanUpRun, PROFILE_DIR, removeOnInterrupt, stagesConsumed, startProcess, waitFor, type BenchProcess } from './processes.ts';
import { measureParseSpeed } from './parse-speed.ts';
import { printReport, type BenchResult } from './report.ts';
import { printSlowEmbedderReport, runSlowEmbedderScenario } from './slow-embedder.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { searchHits, searchIdle, searchWhile } from './search-load.ts';
import { recallAt10, waitForAnnIndex } from './ann-quality.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { measureQueueTypes } from './queue-types.ts';
import { QUEUE_TYPES_DOCUMENTS } from './queue-types-report.ts';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/**
 * Above the capacity of both the baseline and the pipeline, so each runs at its own full speed
 * (64 clients at once, so in effect as fast as each answers); 400 was not, once small documents
 * parsed in process: the baseline then ran at the offered rate, not its own.
 */
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const PENDING_JOBS = Number(process.env.BENCH_PENDING_JOBS ?? 100_000);
/** An offered rate below the pipeline's capacity, where mutation latency and ingest→searchable have targets of their own. */
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 50);
const STEADY_DOCUMENTS = 600;
/**
 * Turns the baseline and the pipeline take on the sections corpus. A turn is about 3 s on a fast
 * stretch, and one turn's CPU ratio moved by 0.1–0.3 from its run's (2026-12-07): four turns
 * each halve that spread against one, for about 15 s more.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/**
 * Turns each side takes first, not counted. A process's first corpus cost it 1.4–2× the CPU of the
 * next ones, native SQLite and socket writes included, and about as many extra CPU seconds on
 * either side (2026-12-07, docs/pipeline-profile.md); counted, it pulled the first round's ratio
 * towards 1. What the steady state costs is what a long-running gateway and worker spend.
 */
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 1);
/** The pages corpus is ingested this many times over (new document ids each time), for a run long enough to measure. */
const PAGE_ROUNDS = Number(process.env.BENCH_PAGE_ROUNDS ?? 3);
const IDLE_QUERIES = 200;
const RECALL_QUERIES = 200;
const SEARCH_COLLECTION = 'search';
const started = Date.now();
/** Marks the profiled window in every child; returns the monotonic clock in µs, the clock of V8's CPU profiles. */
const markProfiles = (children: readonly BenchProcess[]) => {
  for (const child of children) child.markProfile();
  return Number(process.hrtime.bigint() / 1000n);
};
const log = (message: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

const config = readConfig(process.env);
/**
 * How the actors run: `pipeline:N`, N processes each running every actor and handing work on in
 * process (npm start's layout), or `per-stage`, one process per actor. The sections corpus also
 * goes through the other layout (or BENCH_OTHER_LAYOUT), in the same run, for comparison.
 */
const ACTORS = process.env.BENCH_ACTORS ?? (config.scaling.pipelineWorkers > 0 ? `pipeline:${config.scaling.pipelineWorkers}` : 'per-stage');
const OTHER_LAYOUT = process.env.BENCH_OTHER_LAYOUT ?? (ACTORS === 'per-stage' ? 'pipeline:1' : 'per-stage');
const namespace = `bench-${randomUUID().slice(0, 8)}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-bench-'));
removeOnInterrupt(dataDir);
const dbPath = path.join(dataDir, 'rag.sqlite');
const names = topology(namespace, config.queueType);
log('loading the corpus (apt-get download nodejs-doc on first run)');
const corpus = loadCorpus(path.join(PROJECT_ROOT, '.cache'));
log(`${corpus.documents.length} documents, ${(corpus.bytes / 1e6).toFixed(1)} MB: ${corpus.source}`);
const queries = queryTitles(corpus);
const htmlPages = loadHtmlPages(path.join(PROJECT_ROOT, '.cache'));
const pageDocuments: CorpusDocument[] = Array.from({ length: PAGE_ROUNDS }, (_, round) =>
  htmlPages.documents.map((doc) => ({ ...doc, id: `${doc.id}-${round + 1}` }))).flat();

// Before connecting to the broker: a slow parser would block heartbeats for minutes.
log(`parser speed: ${htmlPages.documents.length} HTML pages (${(htmlPages.bytes / 1e6).toFixed(1)} MB), the Markdown pages, PDFs made from them`);
const parse = await measureParseSpeed(htmlPages, loadMarkdownPages(path.join(PROJECT_ROOT, '.cache')));
log(`parse MB per CPU second: HTML ${parse.html.mbPerCpuSecond}, Markdown ${parse.markdown.mbPerCpuSecond}, PDF ${parse.pdf.mbPerCpuSecond}`);
// Queue inspection through the first node (a cluster's nodes all see every queue).
const connection = await amqp.connect(splitNodeUrls(config.amqpUrl)[0]!);
const rabbitmq = String(connection.connection.serverProperties?.version ?? 'unknown');
const processes: BenchProcess[] = [];
const cleanUp = cleanUpRun(connection, names, createRetryPolicy(config).delays(), dataDir, log);

try {
  const env = (port: number): NodeJS.ProcessEnv => ({
    ...process.env, AMQP_NAMESPACE: namespace, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1',
    LOG_LEVEL: 'error', MAX_PENDING_JOBS: String(PENDING_JOBS + 50_000),
  });
  const store = await openStore({ ...config, dataDir });
  const embedder = createEmbedder(config);
  const preloader = new Preloader(store, embedder, SEARCH_COLLECTION, preloadTextsOf(process.env));
  await preloader.prepare(corpus.documents);
  await preloader.fillTo(10_000);
  // Built here once and saved, as by a gateway that ran before: otherwise each gateway's search
  // thread builds its approximate index of these 10k chunks at full priority during the first
  // rounds (~1 ms a vector of distinct texts, so about 10 s each).
  const indexBuilder = openSqliteStore({ path: dbPath });
  const [firstQuery] = await embedder.embed(queries.slice(0, 1));
  await indexBuilder.search({ collection: SEARCH_COLLECTION, mode: 'VECTOR', vector: firstQuery!, k: 1 });
  const annIndex10k = await waitForAnnIndex(dataDir, dbPath, SEARCH_COLLECTION, 900_000);
  await indexBuilder.close();
  log(`approximate index of the 10k chunks built in ${annIndex10k.seconds} s`);

  log(`starting the async gateway, the synchronous gateway and the actors (${ACTORS})`);
  const asyncGateway = startProcess('gateway', 'gateway/main.ts', [], env(4711));
  const syncGateway = startProcess('sync-gateway', 'bench/sync-gateway-main.ts', [], env(4712));
  const startActors = (layout = ACTORS) => layout === 'per-stage'
    ? STAGES.map((stage) => startProcess(`actor-${stage.toLowerCase()}`, 'services/actor-main.ts', [stage.toLowerCase()], env(0)))
    : Array.from({ length: Number(layout.split(':')[1] ?? 1) }, (_, i) =>
      startProcess(`actor-pipeline-${i + 1}`, 'services/actor-main.ts', STAGES.map((stage) => stage.toLowerCase()), env(0)));
  let actors = startActors();
  processes.push(asyncGateway, syncGateway, ...actors);
  const asyncUrl = 'http://127.0.0.1:4711/graphql';
  const syncUrl = 'http://127.0.0.1:4712/graphql';
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  const consumersReady = () => stagesConsumed(connection, names, STAGES);
  await waitFor('gateways', async () => (await fetch(asyncUrl.replace('/graphql', '/healthz'))).ok && (await fetch(syncUrl.replace('/graphql', '/healthz'))).ok);
  await waitFor('actors', consumersReady);
  log('all processes ready');
  const broker = brokerPid();
  const probesOf = (measured: readonly BenchProcess[]) => ({
    // With their worker processes (the parse pool's): their CPU is the process's work too.
    ...Object.fromEntries(measured.map((proc) => [proc.name, () => treeCpuSeconds(proc.pid)])),
    'bench (clients)': ownCpuSeconds,
    ...(broker === null ? {} : { 'rabbitmq (shared)': () => cpuSeconds(broker) }),
  });
  const cpuProbes = probesOf(processes);

  const brokerConfirm = await confirmLatency(connection, `${namespace}.confirm-probe`, RATE);
  log(`broker confirm latency at ${RATE}/s: p50 ${brokerConfirm.p50} ms, p99 ${brokerConfirm.p99} ms`);
  const search10kIdle = await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES);
  log(`search at 10k chunks, idle: p95 ${search10kIdle.p95} ms`);

  // The baseline and the pipeline take turns, ROUNDS times each, and each side's figures are
  // over all its rounds: this machine's speed drifts by up to 2× within minutes, and alternating
  // exposes both sides to the same drift. Each side runs with the same search load beside it.
  await searchIdle(syncUrl, SEARCH_COLLECTION, queries, 20);
  /**
   * One side's turn on the sections corpus, with the search load beside it. `profiled` marks it as
   * the window BENCH_PROFILE reports: the mark also ends the children's store-write accounting
   * (SIGUSR2), so only that turn may send it.
   */
  const takeTurn = async (url: string, collection: string, profiled = false) => {
    const during = await searchWhile(url, SEARCH_COLLECTION, queries);
    const countCpu = startCpuCount(cpuProbes);
    const startUs = profiled ? markProfiles(processes) : 0;
    const run = await ingestRun({ url, dbPath, collection, documents: corpus.documents, concurrency: CONCURRENCY, ratePerSecond: RATE, timeoutMs: 300_000 });
    const cpu = countCpu();
    if (profiled) writeFileSync(path.join(PROFILE_DIR!, 'window.json'), JSON.stringify({ startUs, endUs: markProfiles(processes), cpuSeconds: cpu }));
    return { run, cpu, search: await during.stop() };
  };
  const syncRuns: IngestRunResult[] = [], asyncRuns: IngestRunResult[] = [];
  const syncCpus: CpuCount[] = [], asyncCpus: CpuCount[] = [];
  const syncSearches: LatencySummary[] = [], asyncSearches: LatencySummary[] = [];
  const warmupCpus: { sync: CpuCount; sections: CpuCount }[] = [];
  for (let warmup = 1; warmup <= WARMUP_ROUNDS; warmup++) {
    log(`warm-up ${warmup} of ${WARMUP_ROUNDS} (not counted): the baseline, then the pipeline, with search beside each`);
    const sync = (await takeTurn(syncUrl, `sync-warmup-${warmup}`)).cpu;
    const sections = (await takeTurn(asyncUrl, `async-warmup-${warmup}`)).cpu;
    warmupCpus.push({ sync, sections });
    log(`warm-up CPU s: sync ${JSON.stringify(sync)}; async ${JSON.stringify(sections)}`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS}: synchronous baseline, every document parsed, chunked, embedded and indexed inside its mutation`);
    const { run: syncRun, cpu: syncTurnCpu, search: syncSearch } = await takeTurn(syncUrl, `sync-${round}`);
    syncCpus.push(syncTurnCpu);
    syncSearches.push(syncSearch);
    syncRuns.push(syncRun);
    log(`sync: ${syncRun.documentsPerSecond} docs/s (all accepted after ${syncRun.acceptSeconds} of ${syncRun.seconds} s), mutation p99 ${syncRun.mutationMs.p99} ms, search p95 ${syncSearches.at(-1)!.p95} ms; CPU s: ${JSON.stringify(syncCpus.at(-1))}`);

    log(`round ${round} of ${ROUNDS}: asynchronous pipeline with search running beside it (10k chunks)`);
    const { run: asyncRun, cpu: asyncTurnCpu, search: asyncSearch } = await takeTurn(asyncUrl, `async10k-${round}`, PROFILE_DIR !== null && round === 1);
    asyncCpus.push(asyncTurnCpu);
    asyncSearches.push(asyncSearch);
    asyncRuns.push(asyncRun);
    log(`async: ${asyncRun.documentsPerSecond} docs/s (all accepted after ${asyncRun.acceptSeconds} of ${asyncRun.seconds} s), mutation p99 ${asyncRun.mutationMs.p99} ms, search p95 ${asyncSearches.at(-1)!.p95} ms; CPU s: ${JSON.stringify(asyncCpus.at(-1))}`);
  }
  const sync = combineRuns(syncRuns), async10k = combineRuns(asyncRuns);
  const syncCpu = addCpuCounts(syncCpus), sectionsCpu = addCpuCounts(asyncCpus);
  const searchDuringSync = mergeSummaries(syncSearches), search10kBusy = mergeSummaries(asyncSearches);
  log(`over ${ROUNDS} rounds: sync ${sync.documentsPerSecond} docs/s, async ${async10k.documentsPerSecond} docs/s`);
  // The baseline is done. Stopped, so that the search thread it started for the search collection
  // does not follow the pre-load to 100k below, inserting every vector into a graph of its own on
  // the cores the pipeline's search is measured on.
  const syncGatewayPeakMb = syncGateway.memory()?.peakMb ?? null;
  await syncGateway.stop();

  log(`the same sections through the other actor layout (${OTHER_LAYOUT}), search beside it`);
  await Promise.all(actors.map((actor) => actor.stop()));
  const otherActors = startActors(OTHER_LAYOUT);
  processes.push(...otherActors);
  await waitFor('actors', consumersReady);
  const duringOther = await searchWhile(asyncUrl, SEARCH_COLLECTION, queries);
  const countOtherCpu = startCpuCount(probesOf([asyncGateway, ...otherActors]));
  const otherLayout = await ingestRun({ url: asyncUrl, dbPath, collection: 'layout', documents: corpus.documents, concurrency: CONCURRENCY, ratePerSecond: RATE, timeoutMs: 300_000 });
  const otherLayoutCpu = countOtherCpu();
  const searchOther = await duringOther.stop();
  log(`${OTHER_LAYOUT}: ${otherLayout.documentsPerSecond} docs/s, search p95 ${searchOther.p95} ms; CPU s: ${JSON.stringify(otherLayoutCpu)}`);
  await Promise.all(otherActors.map((actor) => actor.stop()));
  actors = startActors();
  processes.push(...actors);
  await waitFor('actors', consumersReady);

  log(`asynchronous pipeline below capacity: ${STEADY_DOCUMENTS} documents offered at ${STEADY_RATE}/s`);
  const steady = await ingestRun({ url: asyncUrl, dbPath, collection: 'steady', documents: corpus.documents.slice(0, STEADY_DOCUMENTS), concurrency: CONCURRENCY, ratePerSecond: STEADY_RATE, timeoutMs: 120_000 });
  log(`steady: mutation p99 ${steady.mutationMs.p99} ms, ingest→searchable p95 ${steady.searchableMs.p95} ms`);

  log(`asynchronous pipeline, whole HTML pages: ${pageDocuments.length} (${PAGE_ROUNDS} × ${htmlPages.documents.length} pages)`);
  const countPagesCpu = startCpuCount(probesOf([asyncGateway, ...actors]));
  const pages = await ingestRun({ url: asyncUrl, dbPath, collection: 'pages', documents: pageDocuments, concurrency: CONCURRENCY, ratePerSecond: RATE, timeoutMs: 900_000 });
  const pagesCpu = countPagesCpu();
  log(`pages: ${pages.documentsPerSecond} docs/s, ${pages.megabytesPerSecond} MB/s; CPU s: ${JSON.stringify(pagesCpu)}`);

  log('pre-loading the search collection to 100k chunks');
  await preloader.fillTo(100_000);
  // The first search makes the gateway's search thread bring its approximate index up to date.
  await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, 1, 'VECTOR');
  const annIndex = await waitForAnnIndex(dataDir, dbPath, SEARCH_COLLECTION, 900_000);
  log(`approximate index caught up in ${annIndex.seconds} s (${annIndex.megabytes} MB saved)`);
  const exactStore = openSqliteStore({ path: dbPath, searchThreads: false });
  const quality = await recallAt10(SEARCH_COLLECTION, exactStore, embedder, queries.slice(0, RECALL_QUERIES),
    (query) => searchHits(asyncUrl, SEARCH_COLLECTION, query, 'VECTOR', 10));
  await exactStore.close();
  log(`recall@10 ${quality.recall}; exact KNN in-process p50 ${quality.exactMs.p50} ms`);
  const search100kIdle = await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES);
  // The pass above is the first after the pre-load: its 90k writes had the lexical thread read the
  // collection afresh once they paused, and read again the words the 10k searches had it keep
  // (lexical-postings.ts, rewarm); a word no search asked for before is read by its first ranking.
  // The same queries again: every word kept by now, as a gateway keeps the words its users search;
  // the searches during ingestion below find them kept too.
  const search100kIdleSeen = await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES);
  const vector100kIdle = await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES, 'VECTOR');
  log(`search at 100k chunks, idle: HYBRID p95 ${search100kIdle.p95} ms (words seen before ${search100kIdleSeen.p95}), VECTOR p95 ${vector100kIdle.p95} ms`);
  // With a metadata filter: the pre-load puts one document in ten on the "rare" shelf.
  const filtered100kIdle = {
    common: await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES, 'HYBRID', { shelf: 'common' }),
    rare: await searchIdle(asyncUrl, SEARCH_COLLECTION, queries, IDLE_QUERIES, 'HYBRID', { shelf: 'rare' }),
  };
  log(`search at 100k chunks, idle, filtered: HYBRID p95 ${filtered100kIdle.common.p95} ms (nine chunks in ten match), ${filtered100kIdle.rare.p95} ms (one in ten)`);
  // As many turns as at 10k, each into a collection of its own: one turn's mutation p99 moved by up
  // to 19 ms between turns minutes apart (2026-12-07, docs/pipeline-profile.md), so a single turn
  // said little about the 100k case against the 10k one's four.
  const runs100k: IngestRunResult[] = [], searches100k: LatencySummary[] = [], vectorSearches100k: LatencySummary[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const during100k = await searchWhile(asyncUrl, SEARCH_COLLECTION, queries);
    const vectorDuring100k = await searchWhile(asyncUrl, SEARCH_COLLECTION, queries, 'VECTOR');
    runs100k.push(await ingestRun({ url: asyncUrl, dbPath, collection: `async100k-${round}`, documents: corpus.documents, concurrency: CONCURRENCY, ratePerSecond: RATE, timeoutMs: 300_000 }));
    searches100k.push(await during100k.stop());
    vectorSearches100k.push(await vectorDuring100k.stop());
    log(`async at 100k, round ${round} of ${ROUNDS}: ${runs100k.at(-1)!.documentsPerSecond} docs/s, mutation p99 ${runs100k.at(-1)!.mutationMs.p99} ms, search p95 HYBRID ${searches100k.at(-1)!.p95} ms, VECTOR ${vectorSearches100k.at(-1)!.p95} ms`);
  }
  const async100k = combineRuns(runs100k);
  const search100kBusy = mergeSummaries(searches100k), vector100kBusy = mergeSummaries(vectorSearches100k);
  log(`async at 100k over ${ROUNDS} rounds: ${async100k.documentsPerSecond} docs/s, mutation p99 ${async100k.mutationMs.p99} ms, search p95 HYBRID ${search100kBusy.p95} ms, VECTOR ${vector100kBusy.p95} ms`);

  const peakMemory = { ...Object.fromEntries(processes.map((proc) => [proc.name, proc.memory()?.peakMb ?? null])), 'sync-gateway': syncGatewayPeakMb };

  log(`holding ${PENDING_JOBS} pending jobs: actors stopped, jobs published through the gateway`);
  await Promise.all(actors.map((actor) => actor.stop()));
  const gatewayBefore = asyncGateway.memory();
  const pendingStarted = Date.now();
  // Half, then the rest: bounded memory shows as a plateau, not as growth with the backlog. Each
  // half's peak, not one reading at its end: the gateway's V8 heap swings by 50–80 MB of garbage
  // between collections while it takes jobs, so a single reading lands anywhere in that swing
  // (bench/pending-memory.ts shows it).
  asyncGateway.resetPeak();
  let accepted = await publishPendingJobs(asyncUrl, 'pending', PENDING_JOBS / 2);
  const gatewayHalf = asyncGateway.memory();
  asyncGateway.resetPeak();
  accepted += await publishPendingJobs(asyncUrl, 'pending2', PENDING_JOBS / 2);
  const publishSeconds = (Date.now() - pendingStarted) / 1000;
  // Pending jobs wait in the stage their first message went to: parse for these inline texts.
  const entryQueues = ENTRY_STAGES.flatMap((stage) => names.stageQueues(stage));
  const queued = (await checkStageQueues(channel, entryQueues)).ready;
  const gatewayAfter = asyncGateway.memory();
  actors = startActors();
  processes.push(...actors);
  await waitFor('actors', consumersReady);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const actorsWithBacklog = Object.fromEntries(actors.map((actor) => [actor.name, actor.memory()]));
  const leftInQueue = (await checkStageQueues(channel, entryQueues)).ready;
  await Promise.all(actors.map((actor) => actor.stop()));
  for (const stage of STAGES) for (const queue of names.stageQueues(stage)) await channel.purgeQueue(queue);
  log(`${accepted} accepted in ${publishSeconds.toFixed(0)} s; gateway RSS ${gatewayBefore?.rssMb} → ${gatewayAfter?.rssMb} MB, peak per half ${gatewayHalf?.peakMb} / ${gatewayAfter?.peakMb} MB`);

  // BENCH_QUEUE_TYPES=0 leaves out the classic-against-quorum runs (they start a three-node cluster).
  const queueTypes = process.env.BENCH_QUEUE_TYPES === '0' ? [] : await measureQueueTypes({
    amqpUrl: config.amqpUrl, documents: corpus.documents.slice(0, QUEUE_TYPES_DOCUMENTS), concurrency: CONCURRENCY,
    ratePerSecond: RATE, port: 4721, retryDelaysMs: createRetryPolicy(config).delays(), log,
  });
  // A slow embedding box and the supervisor scaling to it, in a namespace of its own (BENCH_SLOW_EMBEDDER=0 skips it).
  const slowEmbedder = process.env.BENCH_SLOW_EMBEDDER === '0' ? null : await runSlowEmbedderScenario(config, corpus.documents, log);

  const result: BenchResult = {
    at: new Date().toISOString(),
    machine: describeMachine(rabbitmq),
    corpus: { source: corpus.source, documents: corpus.documents.length, megabytes: Math.round(corpus.bytes / 1e5) / 10 },
    pagesCorpus: { source: htmlPages.source, documents: pageDocuments.length, megabytes: Math.round((PAGE_ROUNDS * htmlPages.bytes) / 1e5) / 10 },
    parse,
    settings: { rounds: ROUNDS, warmupRounds: WARMUP_ROUNDS, offeredDocumentsPerSecond: RATE, maxRequestsInFlight: CONCURRENCY, prefetch: config.prefetch, actorProcesses: ACTORS, embedder: config.embedder === 'hashing' ? `hashing ${config.hashingDimension}` : `ollama ${config.ollamaModel}`, searchK: 5, searchMode: 'HYBRID unless named', searchLoad: 'one query at a time per mode, at most 10/s each', preloadTexts: preloader.texts },
    brokerConfirmMs: brokerConfirm,
    sync, async10k, async100k, pages, steady, steadyRate: STEADY_RATE,
    otherLayout: { layout: OTHER_LAYOUT, run: otherLayout, cpuSeconds: otherLayoutCpu, searchDuring: searchOther },
    cpuSeconds: { sync: syncCpu, sections: sectionsCpu, pages: pagesCpu, rounds: syncCpus.map((sync, i) => ({ sync, sections: asyncCpus[i]! })), warmup: warmupCpus },
    search: { idle10k: search10kIdle, duringSync10k: searchDuringSync, during10k: search10kBusy, idle100k: search100kIdle, idle100kWordsSeen: search100kIdleSeen, idle100kFiltered: filtered100kIdle, during100k: search100kBusy },
    vector100k: {
      idle: vector100kIdle, during: vector100kBusy, exactInProcessMs: quality.exactMs, recallAt10: quality.recall,
      recallQueries: quality.queries, indexCatchUpSeconds: annIndex.seconds, indexMegabytes: annIndex.megabytes,
    },
    peakMemoryMb: peakMemory,
    pending: {
      jobs: accepted, inQueue: queued, publishSeconds: Math.round(publishSeconds), leftAfter10sOfActors: leftInQueue,
      gatewayRssMb: {
        before: gatewayBefore?.rssMb ?? null, half: gatewayHalf?.rssMb ?? null, after: gatewayAfter?.rssMb ?? null,
        peakFirstHalf: gatewayHalf?.peakMb ?? null, peakSecondHalf: gatewayAfter?.peakMb ?? null,
      },
      actorsRssMbWithBacklog: Object.fromEntries(Object.entries(actorsWithBacklog).map(([name, memory]) => [name, memory?.rssMb ?? null])),
    },
    queueTypes,
    slowEmbedder,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  await store.close();
  printReport(result);
  if (slowEmbedder) printSlowEmbedderReport(slowEmbedder);
  const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
} finally {
  await Promise.all(processes.map((proc) => proc.stop()));
  await cleanUp();
}
