/**
 * Every span and metric attribute name the project writes, in one place, so that dashboards,
 * tests and Jaeger searches agree. Messaging names follow the OpenTelemetry semantic conventions
 * for messaging (https://opentelemetry.io/docs/specs/semconv/messaging/rabbitmq/); they are
 * copied here rather than imported from the unstable `incubating` entry point, as its docs advise.
 */
export const ATTR = {
  /** The job's id (also the AMQP message id prefix). */
  jobId: 'rag.job.id',
  collection: 'rag.collection',
  /** Pipeline stage: FETCH, PARSE, CHUNK, EMBED, INDEX. */
  stage: 'rag.stage',
  /** Delivery attempt of the stage's message, 1-based. */
  attempt: 'rag.attempt',
  /** GraphQL priority: LOW, NORMAL, HIGH, URGENT. */
  priority: 'rag.priority',
  /** Size of the message body in bytes. */
  messageSize: 'messaging.message.body.size',
  chunkCount: 'rag.chunk.count',
  jobStatus: 'rag.job.status',
  /** How a delivery ended: processed, retried, failed, dead_lettered, cancelled, dropped. */
  outcome: 'rag.outcome',
  /** Texts embedded in one embedder call. */
  embedTexts: 'rag.embed.texts',
  /** True on a delivery handed over in process by the stage before (no broker hop; messaging/hand-over.ts). */
  handedOver: 'rag.handed_over',
  /** Store operation (indexDocument, updateJob, search, …). */
  storeOperation: 'db.operation.name',
  url: 'url.full',

  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingDestination: 'messaging.destination.name',
  messagingRoutingKey: 'messaging.rabbitmq.destination.routing_key',
  messagingMessageId: 'messaging.message.id',
  messagingDeliveryTag: 'messaging.rabbitmq.message.delivery_tag',
} as const;

/** The `messaging.system` value for RabbitMQ. */
export const MESSAGING_SYSTEM_RABBITMQ = 'rabbitmq';

/** Span names, so that tests and Jaeger searches do not guess them. */
export const SPAN = {
  /** Root of every job's trace: the gateway accepting one document. */
  ingest: 'ingestDocument',
  search: 'search',
  publish: (destination: string) => `publish ${destination}`,
  process: (stage: string) => `process ${stage.toLowerCase()}`,
  handle: (stage: string) => `${stage.toLowerCase()} handle`,
  store: (operation: string) => `store.${operation}`,
  embed: 'embedder.embed',
  fetchUrl: 'fetch url',
} as const;
