/**
 * The gateway: Apollo Server on Node's HTTP server for queries and mutations, graphql-ws on the
 * same port and path for subscriptions, and a per-replica view of job events.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.ts';
import { createBroker, createEmbedder, createRetryPolicy, openStore } from '../services/components.ts';
import type { SystemConfig } from '../services/config.ts';
import { JobEventPublisher } from '../services/runtime/job-events.ts';
import { declareWorkTopology, topology } from '../services/runtime/topology.ts';
import type { Store } from '../services/stores/store.ts';
import type { GatewayContext, GatewayServices } from './context.ts';
import { JobEventHub } from './events/job-event-hub.ts';
import { graphqlHttpHandler } from './http/graphql-http.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { PendingWorkGauge } from './ingest/pending-work-gauge.ts';
import { resolvers } from './resolvers/resolvers.ts';
import { SearchService } from './search-service.ts';

export const GRAPHQL_PATH = '/graphql';
const SCHEMA_FILE = new URL('../schema/schema.graphql', import.meta.url);

export interface RunningGateway {
  /** http://host:port/graphql */
  readonly url: string;
  readonly port: number;
  readonly services: GatewayServices;
  stop(): Promise<void>;
}

/** Body limit: the largest document as base64 plus room for the rest of the request. */
export function maxBodyBytes(config: SystemConfig): number {
  return Math.ceil(config.maxDocumentBytes * 1.37) + 1024 * 1024;
}

export async function startGateway(config: SystemConfig, logger: Logger, shared?: { store?: Store }): Promise<RunningGateway> {
  const names = topology(config.namespace);
  const store = shared?.store ?? await openStore(config);
  const embedder = createEmbedder(config);
  const broker = createBroker(config, 'gateway', logger);
  // The gateway publishes the first stage, so it declares the work topology too (idempotent).
  await broker.declare((channel) => declareWorkTopology(channel, names, {
    retryDelaysMs: createRetryPolicy(config).delays(), maxStageLength: config.maxStageQueueLength,
  }));
  const events = new JobEventPublisher(broker, names, logger);
  const hub = new JobEventHub(broker, names, store, logger);
  await hub.start();
  const services: GatewayServices = {
    store,
    ingest: new IngestService(store, broker, names, events, logger, new PendingWorkGauge(broker, {
      queue: names.stageQueue('FETCH'), maxPendingJobs: config.maxPendingJobs, cacheMs: config.pendingCheckMs,
    })),
    search: new SearchService(store, embedder),
    hub,
    limits: { maxDocumentBytes: config.maxDocumentBytes, maxBatchDocuments: config.maxBatchDocuments },
  };
  const connected = await broker.start(config.publishTimeoutMs);
  if (!connected) logger.warn('RabbitMQ is not reachable yet; ingest mutations answer UNAVAILABLE until it is');

  const schema = makeExecutableSchema({ typeDefs: readFileSync(SCHEMA_FILE, 'utf8'), resolvers });
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer<Record<string, unknown>, { services: GatewayServices }>(
    { schema, context: (): GatewayContext => ({ services }) },
    wsServer,
  );
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  const handleGraphql = graphqlHttpHandler(apollo, async () => ({ services }), maxBodyBytes(config));

  httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      response.writeHead(broker.connected ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ broker: broker.connected ? 'connected' : 'unreachable' }));
      return;
    }
    if (path !== GRAPHQL_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`not found; GraphQL is at ${GRAPHQL_PATH}\n`);
      return;
    }
    handleGraphql(request, response).catch((error) => {
      logger.error('request failed', { error: String(error) });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`;
  logger.info('gateway listening', { url, namespace: config.namespace });

  return {
    url,
    port,
    services,
    async stop() {
      await apollo.stop();
      await hub.stop();
      await broker.close();
      if (!shared?.store) await store.close();
    },
  };
}
