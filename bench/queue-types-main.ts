/**
 * `npm run bench:cluster`: the queue-types comparison of `npm run bench` alone (classic queues on
 * the machine's RabbitMQ against quorum queues on a local three-node cluster, same documents).
 */
import path from 'node:path';
import { createRetryPolicy } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { loadCorpus } from './corpus.ts';
import { measureQueueTypes } from './queue-types.ts';
import { printQueueTypes, QUEUE_TYPES_DOCUMENTS } from './queue-types-report.ts';

const started = Date.now();
const log = (message: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
const config = readConfig(process.env);
const corpus = loadCorpus(path.join(PROJECT_ROOT, '.cache'));
const runs = await measureQueueTypes({
  amqpUrl: config.amqpUrl, documents: corpus.documents.slice(0, QUEUE_TYPES_DOCUMENTS),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64), ratePerSecond: Number(process.env.BENCH_RATE ?? 200),
  port: 4721, retryDelaysMs: createRetryPolicy(config).delays(), log,
});
printQueueTypes(runs);
