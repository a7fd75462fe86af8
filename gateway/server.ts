/**
 * The gateway: Apollo Server on Node's HTTP server for queries and mutations, graphql-ws on the
 * same port and path for subscriptions, and a per-replica view of job events.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { CloseCode } from 'graphql-ws';
import { ENTRY_STAGES } from '../schema/domain.ts';
import type { Logger } from '../observability/logger.ts';
import { QueueStatsReader, registerQueueGauges } from '../messaging/queue-stats.ts';
import { createBroker, createEmbedder, createRetryPolicy, openStore } from '../config/components.ts';
import type { SystemConfig } from '../config/config.ts';
import { DeadLetterQueues } from '../messaging/dead-letter-queues.ts';
import { EventDemand } from '../messaging/event-demand.ts';
import { JobEventPublisher } from '../messaging/job-events.ts';
import { StallWatchdog } from './stall-watchdog.ts';
import { OutboxRelay } from '../messaging/outbox-relay.ts';
import { declareWorkTopology, topology } from '../messaging/topology.ts';
import type { Store } from '../stores/store.ts';
import { assertSafeToListen, authenticate, authenticateHttp, connectionAuthorization } from './auth/authenticate.ts';
import { loadApiKeys } from './auth/load-api-keys.ts';
import type { Principal } from './auth/principal.ts';
import type { GatewayContext, GatewayServices } from './context.ts';
import { ErrorCode } from './errors.ts';
import { DeletionService } from './deletion/deletion-service.ts';
import { JobEventHub } from './events/job-event-hub.ts';
import { limitConnections } from './hardening/connection-limit.ts';
import { RequestByteBudget } from './hardening/request-bytes.ts';
import { apolloFormatError, formatForClient, formatResultErrors, type ErrorPolicy } from './hardening/mask-errors.ts';
import { assertSafeOrigins, hostRefusal, originRefusal } from './hardening/origin-policy.ts';
import { operationLimits } from './hardening/query-limits.ts';
import { SubscriptionLimits } from './hardening/subscription-limits.ts';
import { graphqlHttpHandler } from './http/graphql-http.ts';
import { listen } from './http/listen.ts';
import { serveGraphqlWs, type SocketExtra } from './http/websocket-server.ts';
import { createIdeHandler } from './ide/ide-handler.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { PendingWorkGauge } from './ingest/pending-work-gauge.ts';
import { resolvers } from './resolvers/resolvers.ts';
import { JobRetryService } from './retry/job-retry-service.ts';
import { SearchService } from './search-service.ts';
import { MutationGate, gatedExecute, mutationGatePlugin, registerMutationGauges } from './mutation-gate.ts';

export const GRAPHQL_PATH = '/graphql';
const SCHEMA_FILE = new URL('../schema/schema.graphql', import.meta.url);

export interface RunningGateway {
  /** http://host:port/graphql */
  readonly url: string;
  readonly port: number;
  readonly services: GatewayServices;
  /** Where mutations wait their turn. */
  readonly mutations: MutationGate;
  stop(): Promise<void>;
}

/** Body limit (MAX_BODY_BYTES): by default the largest document as base64 plus room for the rest of the request. */
export function maxBodyBytes(config: SystemConfig): number {
  return config.maxBodyBytes;
}

export async function startGateway(config: SystemConfig, logger: Logger, shared?: { store?: Store }): Promise<RunningGateway> {
  // Refuse an unsafe configuration before opening anything.
  const keys = loadApiKeys(config);
  assertSafeToListen(keys, config.host);
  const origins = { open: keys.open, allowedOrigins: config.allowedOrigins };
  assertSafeOrigins(origins);
  const names = topology(config.namespace, config.queueType);
  // The gateway's accepts are what clients wait for: its writes take the lock as soon as it is free.
  const store = shared?.store ?? await openStore(config, 'foreground');
  const embedder = createEmbedder(config);
  const broker = createBroker(config, 'gateway', logger);
  // The gateway publishes the first stage, so it declares the work topology too (idempotent).
  await broker.declare((channel) => declareWorkTopology(channel, names, {
    retryDelaysMs: createRetryPolicy(config).delays(), maxStageLength: config.maxStageQueueLength, deliveryLimit: config.deliveryLimit,
  }));
  // Progress events go out only while some gateway has subscribers (messaging/event-demand.ts).
  const demand = new EventDemand();
  const events = new JobEventPublisher(broker, names, logger, demand);
  const hub = new JobEventHub(broker, names, store, logger, demand, events);
  await hub.start();
  const deadLetters = new DeadLetterQueues(broker, names);
  // Publishes what ingest committed (the transactional outbox); started once the broker is set up.
  const relay = new OutboxRelay(store, broker, logger, {
    batchSize: config.outboxBatchSize, pollMs: config.outboxPollMs, leaseMs: config.outboxLeaseMs,
  });
  const services: GatewayServices = {
    store,
    ingest: new IngestService(store, broker, names, events, logger, relay, config.maxUnpublishedJobs, new PendingWorkGauge(broker, {
      queues: ENTRY_STAGES.flatMap((stage) => names.stageQueues(stage)), maxPendingJobs: config.maxPendingJobs, cacheMs: config.pendingCheckMs,
    })),
    search: new SearchService(store, embedder, config.hybridLexicalWeight),
    deletion: new DeletionService(store, events, logger),
    hub,
    deadLetters,
    retry: new JobRetryService(store, broker, names, deadLetters, events, logger),
    limits: { maxDocumentBytes: config.maxDocumentBytes, maxBatchDocuments: config.maxBatchDocuments },
    observability: { queues: new QueueStatsReader(broker, names), jaegerUiUrl: config.jaegerUiUrl, dataDir: config.dataDir },
  };
  const unregisterGauges = registerQueueGauges(services.observability!.queues, (error) => logger.debug('queue gauges not read', { error: String(error) }));
  // Every job reaches a terminal state: jobs without progress for STALL_TIMEOUT_MS are failed here.
  const watchdog = new StallWatchdog(store, events, logger, { stallTimeoutMs: config.stallTimeoutMs, intervalMs: config.stallCheckIntervalMs });
  watchdog.start();
  relay.start();
  const connected = await broker.start(config.publishTimeoutMs);
  if (!connected) logger.warn('RabbitMQ is not reachable yet; accepted jobs wait in the outbox (up to MAX_UNPUBLISHED_JOBS) until it is');

  // Reads GraphiQL's files once, so a missing package fails here at start-up, not on a request.
  const ide = createIdeHandler({ graphqlPath: GRAPHQL_PATH });
  const schema = makeExecutableSchema({ typeDefs: readFileSync(SCHEMA_FILE, 'utf8'), resolvers });
  const httpServer = createServer();
  limitConnections(httpServer, config.maxConnections, logger);
  // One budget of request bytes for both transports (gateway/hardening/request-bytes.ts).
  const requestBytes = new RequestByteBudget(config.maxRequestBytesHeld);
  // One set of limits and one error policy for both transports (issue 12, findings 7 and 8).
  const limits = operationLimits(config);
  const errorPolicy: ErrorPolicy = { maskErrors: config.maskErrors, hideSuggestions: !config.introspection };
  // Queries overtake mutations, over both transports (gateway/mutation-gate.ts).
  const mutations = new MutationGate({ running: config.maxRunningMutations, waiting: config.maxWaitingMutations, waitMs: config.maxMutationWaitMs });
  const unregisterMutationGauges = registerMutationGauges(mutations);
  const subscriptions = new SubscriptionLimits({ perSocket: config.maxSubscriptionsPerSocket, perKey: config.maxSubscriptionsPerKey });
  const ws = serveGraphqlWs<Record<string, unknown>, SocketExtra & { principal?: Principal }>(
    httpServer,
    GRAPHQL_PATH,
    {
      schema,
      // The key comes in connection_init: a missing one closes with 4401, an unknown one with 4403.
      onConnect: (ctx) => {
        const result = authenticate(keys, connectionAuthorization(ctx.connectionParams));
        if (result.ok) {
          ctx.extra.principal = result.principal;
          subscriptions.opened(result.principal.name, ctx);
          return true;
        }
        if (result.reason === 'missing') ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: send { Authorization: "Bearer <key>" } in connection_init');
        return false;
      },
      onClose: (ctx) => { if (ctx.extra.principal) subscriptions.closed(ctx.extra.principal.name, ctx); },
      // graphql-ws lets only acknowledged sockets (so with a principal) subscribe.
      onSubscribe: (ctx, _id, payload) => {
        const refusal = subscriptions.refusal(ctx.extra.principal!.name, ctx);
        return refusal ? [refusal] : limits.check(schema, payload);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatForClient(error.toJSON(), error, errorPolicy, logger)),
      onNext: (_ctx, _id, _payload, _args, result) => formatResultErrors(result, errorPolicy, logger),
      context: (ctx): GatewayContext => ({ services, principal: ctx.extra.principal ?? null }),
      execute: gatedExecute(mutations),
    },
    (request) => hostRefusal(origins, request.headers.host) ?? originRefusal(origins, request.headers.origin, request.headers.host),
    { maxMessageBytes: config.maxBodyBytes, maxInitBytes: config.maxWsInitBytes, maxBufferedBytes: config.maxWsBufferedBytes, budget: requestBytes },
    logger,
  );
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    // Left on for Apollo: where INTROSPECTION is off, the shared validation rules refuse it on both transports.
    introspection: true,
    parseOptions: limits.parseOptions,
    validationRules: [...limits.validationRules],
    includeStacktraceInErrorResponses: !config.maskErrors,
    formatError: apolloFormatError(errorPolicy, logger),
    plugins: [
      // Apollo's own landing page loads from a CDN; the offline IDE above replaces it.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      mutationGatePlugin(mutations),
      { async serverWillStart() { return { async drainServer() { await ws.dispose(); } }; } },
    ],
  });
  await apollo.start();
  const handleGraphql = graphqlHttpHandler(
    apollo,
    async (request) => ({ services, principal: authenticateHttp(keys, request.headers.authorization) }),
    maxBodyBytes(config),
    requestBytes,
  );

  httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // Before anything else: an open gateway answers loopback names only (DNS rebinding).
    const foreignHost = hostRefusal(origins, request.headers.host);
    if (foreignHost !== null) {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: foreignHost, extensions: { code: 'FORBIDDEN' } }] }));
      return;
    }
    // First: browsers get the IDE page and its assets; everything else falls through.
    if (ide(request, response)) return;
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      // Healthy only while a publish can succeed: connected, the publisher channel open, not blocked.
      const health = broker.health();
      response.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ broker: health.state, ...(health.detail ? { detail: health.detail } : {}) }));
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
      response.end(JSON.stringify({ errors: [{ message: 'internal error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] }));
    });
  });
  // In order: the transports, then what feeds them, then the connections.
  const stopSteps: (() => unknown)[] = [
    unregisterGauges, unregisterMutationGauges, () => apollo.stop(), () => watchdog.stop(), () => relay.stop(), () => hub.stop(),
    () => broker.close(), () => (shared?.store ? undefined : store.close()),
  ];
  const stop = async () => {
    for (const step of stopSteps) await step();
  };
  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    // Nothing started here outlives a gateway that could not listen, whichever step fails.
    for (const step of stopSteps) await Promise.resolve().then(step).catch(() => {});
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`;
  logger.info('gateway listening', { url, namespace: config.namespace });
  if (keys.open) logger.warn('no API keys configured: the gateway is OPEN to every local client (loopback only); set API_KEYS or API_KEYS_FILE to require keys');
  else logger.info('API keys required', { keys: keys.size });

  return { url, port, services, mutations, stop };
}
