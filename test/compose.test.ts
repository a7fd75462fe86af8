/**
 * No container engine runs on the development machines, so the compose stack is checked by
 * reading it: every service, health check, start order, port and replica count, and every
 * environment variable the code reads (taken from config/config.ts's source, so adding a
 * variable there without wiring it here fails this test).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { pathToFileURL } from 'node:url';
import { STAGES } from '../schema/domain.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';

interface Service {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>>;
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly deploy?: { readonly replicas?: number };
}

/** Variables config.ts reads that compose may leave at their default, and why. */
const DEFAULTED: Readonly<Record<string, string>> = {
  DATA_DIR: 'only the embedded SQLite store uses it; the stack runs STORE=mongodb',
  HASHING_DIMENSION: 'only the hashing embedder uses it; the stack runs EMBEDDER=ollama',
  FETCH_ALLOW_LIST: 'empty by default on purpose: the fetcher must not reach private addresses',
  API_KEYS: 'keys come from API_KEYS_FILE, written by the api-keys service',
  ALLOWED_ORIGINS: 'empty by default on purpose: the IDE is served from the gateway\'s own origin, which is always allowed',
  MIN_WORKERS: 'read by the npm start supervisor only; compose scales actors with replicas',
  MAX_WORKERS: 'read by the npm start supervisor only; compose scales actors with replicas',
  PIPELINE_WORKERS: 'read by the npm start supervisor only; compose scales actors with replicas',
  SCALE_QUEUE_LENGTH: 'supervisor autoscaling only (compose: replicas; Kubernetes: KEDA)',
  SCALE_UTILISATION: 'supervisor autoscaling only (compose: replicas; Kubernetes: KEDA)',
  SCALE_INTERVAL_MS: 'supervisor autoscaling only (compose: replicas; Kubernetes: KEDA)',
  SCALE_COOLDOWN_MS: 'supervisor autoscaling only (compose: replicas; Kubernetes: KEDA)',
  START_LIMIT: 'read by the npm start supervisor only; compose restarts containers itself',
};

const root = pathToFileURL(`${PROJECT_ROOT}/`);
const ACTORS = STAGES.map((stage) => `actor-${stage.toLowerCase()}`);

async function loadCompose(): Promise<Record<string, Service>> {
  const text = await readFile(new URL('compose/compose.yaml', root), 'utf8');
  // Compose resolves `<<:` merge keys; so must the parser.
  const document = parse(text, { merge: true }) as { services: Record<string, Service> };
  return document.services;
}

/** Every variable config/config.ts reads: `env.NAME` and helper calls like `int(env, 'NAME', …)`. */
async function configVariables(): Promise<string[]> {
  const source = await readFile(new URL('config/config.ts', root), 'utf8');
  const names = new Set<string>();
  for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
  for (const match of source.matchAll(/\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(match[1]!);
  return [...names].sort();
}

describe('compose/compose.yaml', () => {
  let services: Record<string, Service>;
  before(async () => {
    services = await loadCompose();
  });

  function service(name: string): Service {
    const found = services[name];
    assert.ok(found, `service "${name}" is missing from compose/compose.yaml`);
    return found;
  }

  it('when read, should define the infrastructure with health checks and published ports', () => {
    const rabbitmq = service('rabbitmq');
    assert.match(rabbitmq.image ?? '', /^rabbitmq:.*management/);
    assert.ok(rabbitmq.ports?.some((port) => port.endsWith(':15672')), 'management UI published');
    assert.ok(rabbitmq.ports?.some((port) => port.endsWith(':5672')));
    assert.match(service('mongodb').image ?? '', /^mongodb\/mongodb-atlas-local/);
    assert.ok(service('mongodb').ports?.some((port) => port.endsWith(':27017')));
    assert.match(service('ollama').image ?? '', /^ollama\/ollama/);
    const jaeger = service('jaeger');
    assert.match(jaeger.image ?? '', /^jaegertracing\//);
    assert.equal(String(jaeger.environment?.COLLECTOR_OTLP_ENABLED), 'true');
    assert.ok(jaeger.ports?.some((p) => p.endsWith(':16686')), 'jaeger UI 16686');
    const collector = service('otel-collector');
    for (const port of ['4317', '4318']) assert.ok(collector.ports?.some((p) => p.endsWith(`:${port}`)), `collector OTLP ${port}`);
    assert.ok(collector.volumes?.some((v) => v.startsWith('../observability/otel-collector.yaml:')), 'collector config from observability/');
    for (const name of ['rabbitmq', 'mongodb', 'ollama', 'jaeger', 'gateway']) {
      assert.ok((service(name).healthcheck?.test.length ?? 0) > 0, `${name} has a health check`);
    }
  });

  it('when run with the cluster profile, should start three clustered RabbitMQ nodes and give every process all three with quorum queues', async () => {
    const nodes = ['rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3'].map((name) => ({ name, node: service(name) as Service & { profiles?: string[]; hostname?: string } }));
    const conf = await readFile(new URL('compose/rabbitmq-cluster.conf', root), 'utf8');
    for (const { name, node } of nodes) {
      assert.deepEqual(node.profiles, ['cluster'], `${name} runs only in the cluster profile`);
      assert.equal(node.hostname, name);
      assert.ok(node.volumes?.some((volume) => volume.startsWith('./rabbitmq-cluster.conf:')), `${name} reads the peer list`);
      assert.ok((node.healthcheck?.test.length ?? 0) > 0, `${name} has a health check`);
      assert.match(conf, new RegExp(`= rabbit@${name}$`, 'm'));
      for (const app of ['gateway', ...ACTORS]) assert.equal(service(app).depends_on?.[name]?.condition, 'service_healthy', `${app} waits for ${name}`);
    }
    const env = Object.fromEntries((await readFile(new URL('compose/cluster.env', root), 'utf8')).split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    assert.equal(env.QUEUE_TYPE, 'quorum');
    assert.deepEqual(env.AMQP_URL?.split(',').map((url: string) => new URL(url).hostname), ['rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3']);
    assert.match(String(service('gateway').environment?.AMQP_URL), /^\$\{AMQP_URL:-amqp:\/\/.*@rabbitmq:5672\}$/);
    assert.match(String(service('gateway').environment?.QUEUE_TYPE), /^\$\{QUEUE_TYPE:-classic\}$/);
  });

  it('when started, should pull the configured embedding model before the gateway and the actors start', () => {
    const pull = service('ollama-pull');
    const model = String(service('gateway').environment?.OLLAMA_MODEL);
    assert.deepEqual(pull.entrypoint, ['ollama', 'pull', model]);
    assert.equal(pull.depends_on?.ollama?.condition, 'service_healthy');
    for (const name of ['gateway', ...ACTORS]) {
      assert.equal(service(name).depends_on?.['ollama-pull']?.condition, 'service_completed_successfully', name);
    }
  });

  it('when started, should run the gateway and one service per actor from the repository image, after the broker and store are healthy', () => {
    const gateway = service('gateway');
    assert.deepEqual(gateway.command, ['npm', 'run', 'gateway']);
    assert.ok(gateway.ports?.some((port) => port.endsWith(':4000')));
    for (const name of ['gateway', ...ACTORS]) {
      const app = service(name);
      assert.equal(app.build?.dockerfile, 'Dockerfile', `${name} builds the repository's Dockerfile`);
      assert.equal(app.depends_on?.rabbitmq?.condition, 'service_healthy', name);
      assert.equal(app.depends_on?.mongodb?.condition, 'service_healthy', name);
    }
    for (const stage of STAGES) {
      const actor = service(`actor-${stage.toLowerCase()}`);
      assert.deepEqual(actor.command, ['npm', 'run', 'actor', '--', stage.toLowerCase()]);
      assert.ok(Number.isInteger(actor.deploy?.replicas) && actor.deploy!.replicas! >= 1, `${stage} replica count`);
      assert.equal(actor.ports, undefined, `${stage}: replicas cannot share a published port`);
    }
  });

  it('when the code reads an environment variable, should set it on the gateway and every actor or default it on purpose', async () => {
    const variables = await configVariables();
    assert.ok(variables.length > 10, `found the variables of config/config.ts (${variables.join(', ')})`);
    for (const name of Object.keys(DEFAULTED)) assert.ok(variables.includes(name), `allow-listed ${name} is still read`);
    for (const app of ['gateway', ...ACTORS]) {
      const environment = service(app).environment ?? {};
      const missing = variables.filter((name) => !(name in environment) && !(name in DEFAULTED));
      assert.deepEqual(missing, [], `${app} lacks ${missing.join(', ')}: set it in compose/compose.yaml (x-app-env)`);
    }
  });

  it('when running on the stack, should use MongoDB, Ollama and Jaeger by service name, with a service name per process', () => {
    const names = new Set<string>();
    for (const app of ['gateway', ...ACTORS]) {
      const environment = service(app).environment ?? {};
      assert.equal(environment.STORE, 'mongodb');
      assert.match(String(environment.MONGODB_URI), /^mongodb:\/\/mongodb:27017/);
      assert.equal(environment.EMBEDDER, 'ollama');
      assert.equal(environment.OLLAMA_HOST, 'http://ollama:11434');
      assert.match(String(environment.AMQP_URL), /@rabbitmq:5672/);
      assert.equal(environment.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector:4318');
      assert.ok(environment.OTEL_SERVICE_NAME, `${app} names itself for tracing`);
      names.add(String(environment.OTEL_SERVICE_NAME));
    }
    assert.equal(names.size, ACTORS.length + 1, 'OTEL_SERVICE_NAME differs per service');
  });
});
