/**
 * `npm run bench:embedder`: the slow-embedder scenario of `npm run bench` alone (see
 * bench/slow-embedder.ts), on the sections corpus. Writes bench/results/embedder-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../config/config.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { loadCorpus } from './corpus.ts';
import { printSlowEmbedderReport, runSlowEmbedderScenario } from './slow-embedder.ts';

const started = Date.now();
const log = (message: string) => console.error(`[bench:embedder ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
const corpus = loadCorpus(path.join(PROJECT_ROOT, '.cache'));
const result = await runSlowEmbedderScenario(readConfig(process.env), corpus.documents, log);
printSlowEmbedderReport(result);
const at = new Date().toISOString();
const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `embedder-${at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ at, corpus: corpus.source, ...result }, null, 2)}\n`);
log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
