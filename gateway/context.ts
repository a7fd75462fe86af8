/** What every resolver receives: the gateway's services (shared) for this request. */
import type { DeadLetterQueues } from '../services/runtime/dead-letter-queues.ts';
import type { Store } from '../services/stores/store.ts';
import type { JobEventHub } from './events/job-event-hub.ts';
import type { IngestLimits } from './ingest/ingest-plan.ts';
import type { IngestService } from './ingest/ingest-service.ts';
import type { JobRetryService } from './retry/job-retry-service.ts';
import type { SearchService } from './search-service.ts';

export interface GatewayServices {
  readonly store: Store;
  readonly ingest: IngestService;
  readonly search: SearchService;
  readonly hub: JobEventHub;
  /** Dead-letter queues, read without consuming. */
  readonly deadLetters: DeadLetterQueues;
  /** retryJob / retryJobs / replayDeadLetters. */
  readonly retry: JobRetryService;
  readonly limits: IngestLimits & { readonly maxBatchDocuments: number };
}

export interface GatewayContext {
  readonly services: GatewayServices;
}
