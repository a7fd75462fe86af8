import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePdf } from './fixtures/make-pdf.ts';
import { COMPILED, nodeArgs, PROJECT_ROOT } from '../supervisor/node-command.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

// The bin npm links runs the compiled CLI; run from the sources, the test runs them too.
const RAG = COMPILED ? [path.join(PROJECT_ROOT, 'cli/rag.js')] : nodeArgs('cli/main.ts');
const FIXTURES = fileURLToPath(new URL('./fixtures/docs', import.meta.url));

/** What one run of the CLI printed and how it ended. */
interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node cli/rag.js …` with pipes (not a TTY), as a script or CI job would. */
function runCli(args: readonly string[], env: Record<string, string>, options: { cwd?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RAG, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function describeRun(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Whether the gateway's schema has this root field (other issues add queues and dead letters). */
async function hasRootField(url: string, type: 'Query' | 'Mutation', field: string): Promise<boolean> {
  const { __type } = await gqlData(url, `query($name: String!) { __type(name: $name) { fields { name } } }`, { name: type });
  return (__type.fields as { name: string }[]).some((candidate) => candidate.name === field);
}

describe('rag command line against a running system', function () {
  this.timeout(90_000);
  let system: TestSystem;
  let env: Record<string, string>;
  const tempDirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rag-cli-'));
    tempDirs.push(dir);
    return dir;
  };

  before(async () => {
    system = await startTestSystem();
    env = { RAG_URL: system.url };
  });
  after(async () => {
    await system?.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('when a folder of mixed fixtures is ingested with --watch on a non-terminal output', () => {
    let folder: string;
    let run: CliRun;
    before(async () => {
      folder = tempDir();
      cpSync(FIXTURES, folder, { recursive: true });
      mkdirSync(path.join(folder, 'manuals'));
      writeFileSync(path.join(folder, 'manuals', 'lighthouse.pdf'), makePdf(['Lighthouse keepers trim the lamp wick every evening', 'and polish the Fresnel lens at dawn.'], 'Keeping a Lighthouse'));
      writeFileSync(path.join(folder, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
      writeFileSync(path.join(folder, '.hidden.md'), '# Hidden\n\nNot to be ingested.');
      mkdirSync(path.join(folder, 'node_modules'));
      writeFileSync(path.join(folder, 'node_modules', 'dependency.md'), '# Dependency\n\nNot to be ingested.');
      run = await runCli(['ingest', folder, '-c', 'cli-docs', '--watch', '--batch-size', '3'], env);
    });

    it('should exit 0 and print a SUCCEEDED line with its chunk count for each supported file', () => {
      assert.equal(run.code, 0, describeRun(run));
      for (const name of ['guide.md', 'notes.txt', 'page.html', path.join('manuals', 'lighthouse.pdf')]) {
        const file = path.join(folder, name);
        const lines = run.stdout.split('\n').filter((line) => line.startsWith(`${file}: `));
        assert.match(lines.at(-1) ?? '', /: SUCCEEDED \([1-9]\d* chunks?\)$/, `${name}:\n${describeRun(run)}`);
      }
      assert.match(run.stdout, /: ((FETCH|PARSE|CHUNK|EMBED|INDEX) )?(QUEUED|RUNNING) \d{1,3}%$/m, 'progress lines while the jobs run');
    });

    it('should report the unsupported file as skipped and ignore dotfiles and node_modules', () => {
      assert.match(run.stdout, new RegExp(`${escapeRegExp(path.join(folder, 'logo.png'))}: skipped \\(unsupported file type`));
      assert.doesNotMatch(run.stdout, /\.hidden\.md|dependency\.md/);
    });

    it('should end with a summary of successes, failures, skips, time and rate', () => {
      assert.match(run.stdout, /Summary: 4 succeeded, 0 failed, 1 skipped in \d+\.\d s \(\d+\.\d documents\/s\)/);
    });

    it('should leave the documents searchable, with their file path in the metadata', async () => {
      const { search } = await gqlData(system.url, 'query { search(collection: "cli-docs", query: "lighthouse lamp wick Fresnel lens", k: 3) { title metadata } }');
      assert.equal(search[0]?.title, 'Keeping a Lighthouse');
      assert.equal(search[0]?.metadata?.path, path.join(folder, 'manuals', 'lighthouse.pdf'));
    });

    it('should title each document as the document titles itself, not by its file name', async () => {
      const documents = await runCli(['documents', '-c', 'cli-docs', '--json'], env);
      assert.equal(documents.code, 0, describeRun(documents));
      const titles = Object.fromEntries((JSON.parse(documents.stdout) as { id: string; title: string | null }[])
        .map((document) => [path.relative(folder, document.id.slice('file:'.length)), document.title]));
      assert.deepEqual(titles, {
        'guide.md': 'Sourdough Baking Guide', // its first h1
        'page.html': 'Keeping an Indoor Bonsai Healthy', // its <title>, not its h1
        [path.join('manuals', 'lighthouse.pdf')]: 'Keeping a Lighthouse', // its Info dictionary's Title
        'notes.txt': null, // plain text declares none
      });
    });

    it('then search --json should print parseable hits, the right document first', async () => {
      const search = await runCli(['search', 'feeding the sourdough starter flour and water', '-c', 'cli-docs', '-k', '2', '--json'], env);
      assert.equal(search.code, 0, describeRun(search));
      const hits = JSON.parse(search.stdout) as { title: string; score: number; metadata: { path: string } }[];
      assert.equal(hits.length, 2);
      assert.equal(hits[0]?.title, 'Sourdough Baking Guide');
      assert.equal(hits[0]?.metadata.path, path.join(folder, 'guide.md'));
    });

    it('then search should print each hit\u2019s section above its text, and --json should carry it', async () => {
      const query = ['search', 'revive a sluggish starter somewhere warmer with rye', '-c', 'cli-docs', '-k', '1'];
      const text = await runCli(query, env);
      assert.equal(text.code, 0, describeRun(text));
      const [first, section, body] = text.stdout.split('\n');
      assert.match(first ?? '', new RegExp(`^1\\. \\d\\.\\d{3}  ${escapeRegExp(path.join(folder, 'guide.md'))}  \\(document `));
      assert.equal(section, '   § Sourdough Baking Guide > The Starter > Reviving a Sluggish Starter');
      assert.match(body ?? '', /^ {3}If the starter barely rises/);
      const json = await runCli([...query, '--json'], env);
      assert.equal((JSON.parse(json.stdout) as { heading: string }[])[0]?.heading, 'Sourdough Baking Guide > The Starter > Reviving a Sluggish Starter');
    });

    it('then search --mode lexical should rank by words alone and name the signal', async () => {
      const search = await runCli(['search', 'sourdough starter', '-c', 'cli-docs', '--mode', 'lexical', '--json'], env);
      assert.equal(search.code, 0, describeRun(search));
      const hits = JSON.parse(search.stdout) as { title: string; signals: { signal: string }[] }[];
      assert.equal(hits[0]?.title, 'Sourdough Baking Guide');
      assert.ok(hits.every((hit) => hit.signals.length === 1 && hit.signals[0]!.signal === 'LEXICAL'));
      const bad = await runCli(['search', 'sourdough', '-c', 'cli-docs', '--mode', 'fuzzy'], env);
      assert.equal(bad.code, 1, describeRun(bad));
      assert.match(bad.stderr, /--mode must be one of hybrid, vector, lexical/);
    });

    it('then search --lexical-weight should weigh the two rankings, 1 ranking as lexical, and refuse a weight outside 0..1', async () => {
      const top = async (args: string[]) => {
        const run = await runCli(['search', 'sourdough starter', '-c', 'cli-docs', '--json', ...args], env);
        assert.equal(run.code, 0, describeRun(run));
        return (JSON.parse(run.stdout) as { chunkId: string; signals: { signal: string }[] }[]);
      };
      const lexical = await top(['--mode', 'lexical']);
      const allLexical = await top(['--lexical-weight', '1']);
      assert.equal(allLexical[0]?.chunkId, lexical[0]?.chunkId, 'weight 1: the lexical ranking decides');
      const vector = await top(['--mode', 'vector']);
      const allVector = await top(['--lexical-weight', '0']);
      assert.equal(allVector[0]?.chunkId, vector[0]?.chunkId, 'weight 0: the vector ranking decides');
      const bad = await runCli(['search', 'sourdough', '-c', 'cli-docs', '--lexical-weight', '1.5'], env);
      assert.equal(bad.code, 1, describeRun(bad));
      assert.match(bad.stderr, /--lexical-weight must be a number from 0 to 1, got "1.5"/);
      const withVector = await runCli(['search', 'sourdough', '-c', 'cli-docs', '--mode', 'vector', '--lexical-weight', '0.5'], env);
      assert.notEqual(withVector.code, 0, describeRun(withVector));
      assert.match(withVector.stderr, /lexicalWeight/);
    });

    it('then search piped into a reader that has already stopped (| head) should exit 0 without an error', async () => {
      const child = spawn(process.execPath, [...RAG, 'search', 'sourdough starter', '-c', 'cli-docs', '-k', '5'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reading end goes away before the first line is written: every write then fails with EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, stderr);
      assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
    });

    it('then jobs --json should list the four jobs and job <id> --json should show one', async () => {
      const jobs = await runCli(['jobs', '--collection', 'cli-docs', '--json'], env);
      assert.equal(jobs.code, 0, describeRun(jobs));
      const list = JSON.parse(jobs.stdout) as { id: string; status: string; collection: string; chunkCount: number }[];
      assert.equal(list.length, 4);
      assert.ok(list.every((job) => job.status === 'SUCCEEDED' && job.collection === 'cli-docs'));

      const job = await runCli(['job', list[0]!.id, '--json'], env);
      assert.equal(job.code, 0, describeRun(job));
      assert.deepEqual(JSON.parse(job.stdout), list[0]);
    });
  });

  it('when a folder holds a file that fails / should exit 1 and name the file and its reason in the summary', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'fine.md'), '# Fine\n\nHerons stand still in the shallows.');
    writeFileSync(path.join(folder, 'broken.pdf'), Buffer.from('this is not a PDF at all, only garbage bytes \u0000\u0001\u0002'));
    const run = await runCli(['ingest', folder, '-c', 'cli-broken', '--watch'], env);
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stdout, /Summary: 1 succeeded, 1 failed, 0 skipped/);
    const broken = escapeRegExp(path.join(folder, 'broken.pdf'));
    assert.match(run.stdout, new RegExp(`^${broken}: (FAILED|DEAD_LETTERED): \\S.*$`, 'm'), describeRun(run));
    const failedTable = run.stdout.slice(run.stdout.indexOf('Failed:'));
    assert.match(failedTable, new RegExp(`${broken}\\s+(FAILED|DEAD_LETTERED)\\s+\\S`), describeRun(run));
  });

  it('when a folder is ingested again after one file changed, then one removed / should replace the changed file\'s chunks, keep the others\', and with --prune delete the removed one\'s', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'kettle.md'), '# Kettle\n\nThe kettle is blue.');
    writeFileSync(path.join(folder, 'teapot.md'), '# Teapot\n\nThe teapot is round.');
    const first = await runCli(['ingest', folder, '-c', 'cli-sync', '--watch'], env);
    assert.match(first.stdout, /Summary: 2 succeeded, 0 failed/, describeRun(first));
    writeFileSync(path.join(folder, 'kettle.md'), '# Kettle\n\nThe kettle is red.');
    const again = await runCli(['ingest', folder, '-c', 'cli-sync', '--watch'], env);
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /Summary: 2 succeeded \(1 unchanged\), 0 failed/, describeRun(again));
    assert.match(again.stdout, new RegExp(`^${escapeRegExp(path.join(folder, 'teapot.md'))}: SUCCEEDED \\(unchanged, 1 chunk\\)$`, 'm'));
    const { search } = await gqlData(system.url, 'query { search(collection: "cli-sync", query: "kettle colour", k: 10) { text documentId } }');
    const kettle = search.filter((hit: { text: string }) => hit.text.includes('kettle'));
    assert.deepEqual(kettle, [{ text: 'The kettle is red.', documentId: `file:${path.join(folder, 'kettle.md')}` }], 'one version of the file: the new one');
    const forced = await runCli(['ingest', folder, '-c', 'cli-sync', '--watch', '--force', '--json'], env);
    const summary = JSON.parse(forced.stdout) as { succeeded: { unchanged: boolean; stage: string }[] };
    assert.deepEqual(summary.succeeded.map((job) => [job.unchanged, job.stage]), [[false, 'INDEX'], [false, 'INDEX']], describeRun(forced));

    // A file removed from the folder: --prune deletes its document, and only its.
    rmSync(path.join(folder, 'teapot.md'));
    const pruned = await runCli(['ingest', folder, '-c', 'cli-sync', '--watch', '--prune'], env);
    assert.equal(pruned.code, 0, describeRun(pruned));
    assert.match(pruned.stdout, /Summary: 1 succeeded \(1 unchanged\), 0 failed, 0 skipped, 1 pruned/, describeRun(pruned));
    assert.match(pruned.stdout, new RegExp(`^${escapeRegExp(path.join(folder, 'teapot.md'))}: pruned \\(the file is gone\\)$`, 'm'));
    const documents = await runCli(['documents', '-c', 'cli-sync', '--prefix', `file:${folder}/`, '--json'], env);
    assert.deepEqual((JSON.parse(documents.stdout) as { id: string }[]).map((document) => document.id), [`file:${path.join(folder, 'kettle.md')}`], describeRun(documents));
    const collections = await runCli(['collections', '--json'], env);
    const sync = (JSON.parse(collections.stdout) as { name: string; documentCount: number }[]).find((collection) => collection.name === 'cli-sync');
    assert.equal(sync?.documentCount, 1, describeRun(collections));
  });

  it('when documents are deleted by file and by id / should delete each, and exit 1 naming one that is not there', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'heron.md'), '# Heron\n\nHerons stand still in the shallows.');
    assert.equal((await runCli(['ingest', folder, '-c', 'cli-delete', '--watch'], env)).code, 0);
    const { ingestDocument } = await gqlData(system.url, 'mutation { ingestDocument(input: { collection: "cli-delete", documentId: "notes/egret", text: "Egrets wade at dawn." }) { id } }');
    assert.equal((await waitForJob(system.url, ingestDocument.id)).status, 'SUCCEEDED');
    const run = await runCli(['delete', path.join(folder, 'heron.md'), 'notes/egret', 'never-there', '-c', 'cli-delete'], env);
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stdout, new RegExp(`^${escapeRegExp(path.join(folder, 'heron.md'))}: deleted$`, 'm'));
    assert.match(run.stdout, /^notes\/egret: deleted$/m);
    assert.match(run.stdout, /^never-there: no such document in "cli-delete" \(id never-there;/m);
    const documents = await runCli(['documents', '-c', 'cli-delete', '--json'], env);
    assert.deepEqual(JSON.parse(documents.stdout), [], describeRun(documents));
  });

  it('when a collection is deleted / should ask for --yes first and delete nothing, then delete it whole', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'plover.md'), '# Plover\n\nPlovers run along the tideline.');
    writeFileSync(path.join(folder, 'tern.md'), '# Tern\n\nTerns dive for fish.');
    assert.equal((await runCli(['ingest', folder, '-c', 'cli-drop', '--watch'], env)).code, 0);
    const unconfirmed = await runCli(['delete-collection', 'cli-drop'], env);
    assert.equal(unconfirmed.code, 1, describeRun(unconfirmed));
    assert.match(unconfirmed.stderr, /this deletes every document of "cli-drop" with its chunks; add --yes to do it/);
    assert.equal(JSON.parse((await runCli(['documents', '-c', 'cli-drop', '--json'], env)).stdout).length, 2, 'nothing deleted without --yes');
    const run = await runCli(['delete-collection', 'cli-drop', '--yes'], env);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.stdout, 'collection "cli-drop": 2 documents deleted\n');
    const collections = JSON.parse((await runCli(['collections', '--json'], env)).stdout) as { name: string }[];
    assert.ok(!collections.some((collection) => collection.name === 'cli-drop'), JSON.stringify(collections));
    const again = await runCli(['delete-collection', 'cli-drop', '--yes', '--json'], env);
    assert.deepEqual(JSON.parse(again.stdout), { collection: 'cli-drop', deletedDocuments: 0 });
  });

  describe('when the gateway refuses an ingest with BACKPRESSURE', () => {
    /** A proxy to the real gateway that answers the first `refusals` ingests itself with `refusal`. */
    async function refusingProxy(refusals: number, extensions: Record<string, unknown>): Promise<{ url: string; ingests: () => number; close: () => Promise<void> }> {
      let ingests = 0;
      const target = new URL(system.url);
      const proxy: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          if (body.toString('utf8').includes('ingestDocuments') && ++ingests <= refusals) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ errors: [{ message: 'the gateway is busy: retry after 1 s', extensions: { code: 'BACKPRESSURE', retryAfterSeconds: 1, ...extensions } }] }));
            return;
          }
          const forward = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          forward.end(body);
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`,
        ingests: () => ingests,
        close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
      };
    }

    it('with nothing accepted / should say so, send the batch again after retryAfterSeconds and queue every document once', async () => {
      const folder = tempDir();
      writeFileSync(path.join(folder, 'kingfisher.md'), '# Kingfisher\n\nKingfishers dive from a perch.');
      const proxy = await refusingProxy(2, { acceptedJobIds: [] });
      try {
        const started = Date.now();
        const run = await runCli(['ingest', folder, '-c', 'cli-busy'], { RAG_URL: proxy.url });
        assert.equal(run.code, 0, describeRun(run));
        assert.ok(Date.now() - started >= 2000, 'waited the hinted second twice');
        assert.equal(proxy.ingests(), 3);
        assert.equal(run.stderr.match(/the gateway is busy and did nothing \(\[BACKPRESSURE\] the gateway is busy: retry after 1 s\); sending again in 1 s/g)?.length, 2, describeRun(run));
        assert.match(run.stdout, /kingfisher\.md: QUEUED as job /);
        const { jobs } = await system.store.listJobs({ first: 10, collection: 'cli-busy' });
        assert.equal(jobs.length, 1);
      } finally {
        await proxy.close();
      }
    });

    it('with jobs accepted before the refusal / should not send the batch again, and exit 1 naming the refusal', async () => {
      const folder = tempDir();
      writeFileSync(path.join(folder, 'heron.md'), '# Heron\n\nHerons wait.');
      const proxy = await refusingProxy(1, { acceptedJobIds: ['an-accepted-job'] });
      try {
        const run = await runCli(['ingest', folder, '-c', 'cli-partly'], { RAG_URL: proxy.url });
        assert.equal(run.code, 1, describeRun(run));
        assert.equal(proxy.ingests(), 1);
        assert.match(run.stderr, /error \[BACKPRESSURE\]: the gateway is busy/);
      } finally {
        await proxy.close();
      }
    });
  });

  it('when the request is invalid / should print error [CODE]: message and exit 1', async () => {
    const run = await runCli(['search', 'anything', '-c', 'Not A Valid Name!'], env);
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stderr, /^error \[BAD_USER_INPUT\]: .*collection/m);
    assert.equal(run.stdout, '');
  });

  it('when the gateway cannot be reached / should say where it looked and exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await runCli(['jobs'], { RAG_URL: `http://127.0.0.1:${port}/graphql` });
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stderr, new RegExp(`error \\[UNREACHABLE\\]: cannot reach the gateway at http://127.0.0.1:${port}/graphql`));
  });

  it('when RAG_API_KEY is set / should send it as a bearer token, and --api-key should override it', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const fake: Server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { jobs: { edges: [], pageInfo: { hasNextPage: false } } } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/graphql`;
      const fromEnv = await runCli(['jobs', '--json'], { RAG_URL: url, RAG_API_KEY: 'key-from-env' });
      assert.equal(fromEnv.code, 0, describeRun(fromEnv));
      assert.deepEqual(JSON.parse(fromEnv.stdout), []);
      const fromFlag = await runCli(['--api-key', 'key-from-flag', 'jobs'], { RAG_URL: url, RAG_API_KEY: 'key-from-env' });
      assert.equal(fromFlag.code, 0, describeRun(fromFlag));
      assert.deepEqual(seen.map((headers) => headers.authorization), ['Bearer key-from-env', 'Bearer key-from-flag']);
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it('when queue statistics are asked for / should show them, or say plainly that this gateway has none (exit 2)', async () => {
    const run = await runCli(['queues', '--json'], env);
    if (await hasRootField(system.url, 'Query', 'queues')) {
      assert.equal(run.code, 0, describeRun(run));
      assert.ok(Array.isArray(JSON.parse(run.stdout)));
    } else {
      assert.equal(run.code, 2, describeRun(run));
      assert.match(run.stderr, /this gateway does not expose queue statistics/);
    }
  });

  it('when dead letters are listed / should show them, or say plainly that this gateway has none (exit 2)', async () => {
    const run = await runCli(['dlq', 'list', '--json'], env);
    if (await hasRootField(system.url, 'Query', 'deadLetters')) {
      assert.equal(run.code, 0, describeRun(run));
      assert.ok(Array.isArray(JSON.parse(run.stdout)));
    } else {
      assert.equal(run.code, 2, describeRun(run));
      assert.match(run.stderr, /this gateway does not expose dead letters/);
    }
  });

  describe('when a watched job ends and no event says so', () => {
    before(async () => { await system.stopActors(); });
    after(async () => { await system.startActors(); });

    const jobsOf = async (collection: string): Promise<{ id: string }[]> =>
      (await gqlData(system.url, 'query($c: String) { jobs(collection: $c) { edges { node { id } } } }', { c: collection })).jobs.edges.map((edge: any) => edge.node);

    it('should still see its end, read from the gateway, and exit 1 for a job that did not succeed', async () => {
      const folder = tempDir();
      writeFileSync(path.join(folder, 'silent.md'), '# Silent\n\nA document whose end goes out as no event.');
      let ended = false;
      const run = await runCli(['ingest', folder, '-c', 'cli-silent', '--watch'], env, {
        onStdout: (text) => {
          if (ended || !/QUEUED/.test(text)) return;
          ended = true;
          // Ended in the store alone, as by a process that had not heard the watch's announcement.
          void jobsOf('cli-silent').then(([job]) => system.store.updateJob(job!.id, { status: 'CANCELLED', error: 'ended without an event' }));
        },
      });
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stdout, /CANCELLED/);
    });
  });

  describe('when Ctrl-C arrives while watching jobs that cannot progress', () => {
    before(async () => { await system.stopActors(); });
    after(async () => { await system.startActors(); });

    /** Starts a watch, sends SIGINT once the job has been accepted, and returns the run. */
    async function interruptedIngest(collection: string, extra: readonly string[]): Promise<CliRun> {
      const folder = tempDir();
      writeFileSync(path.join(folder, `${collection}.md`), `# Waiting\n\nA document for ${collection}.`);
      let sent = false;
      return runCli(['ingest', folder, '-c', collection, '--watch', ...extra], env, {
        onStdout: (text, child) => {
          if (!sent && /QUEUED/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
    }

    async function onlyJob(collection: string): Promise<{ id: string; status: string }> {
      const { jobs } = await gqlData(system.url, `query($c: String) { jobs(collection: $c) { edges { node { id status } } } }`, { c: collection });
      assert.equal(jobs.edges.length, 1);
      return jobs.edges[0].node;
    }

    it('should exit 130 and leave the job running', async () => {
      const run = await interruptedIngest('cli-left', []);
      assert.equal(run.code, 130, describeRun(run));
      assert.match(run.stderr, /stopped watching; 1 unfinished jobs keep running/);
      assert.equal((await onlyJob('cli-left')).status, 'QUEUED');
    });

    it('with --cancel-on-exit / should cancel the unfinished job', async () => {
      const run = await interruptedIngest('cli-cancelled', ['--cancel-on-exit']);
      assert.equal(run.code, 130, describeRun(run));
      assert.match(run.stderr, /cancelled 1 of 1 unfinished jobs/);
      assert.equal((await onlyJob('cli-cancelled')).status, 'CANCELLED');
    });
  });
});


function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
