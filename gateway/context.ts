/** What every resolver receives: the gateway's services (shared) and the caller of this request. */
import type { QueueStatsReader } from '../messaging/queue-stats.ts';
import type { DeadLetterQueues } from '../messaging/dead-letter-queues.ts';
import type { Store } from '../stores/store.ts';
import type { AuthContext } from './auth/authorize.ts';
import type { Principal } from './auth/principal.ts';
import type { DeletionService } from './deletion/deletion-service.ts';
import type { JobEventHub } from './events/job-event-hub.ts';
import type { IngestLimits } from './ingest/ingest-plan.ts';
import type { IngestService } from './ingest/ingest-service.ts';
import type { JobRetryService } from './retry/job-retry-service.ts';
import type { SearchService } from './search-service.ts';

export interface GatewayServices {
  readonly store: Store;
  readonly ingest: IngestService;
  readonly search: SearchService;
  readonly deletion: DeletionService;
  readonly hub: JobEventHub;
  /** Dead-letter queues, read without consuming. */
  readonly deadLetters: DeadLetterQueues;
  /** retryJob / retryJobs / replayDeadLetters. */
  readonly retry: JobRetryService;
  readonly limits: IngestLimits & { readonly maxBatchDocuments: number };
  /** Queue statistics and trace links (issue 5); absent in gateways built without them. */
  readonly observability?: ObservabilityServices;
}

/** What the observability fields of the API read. */
export interface ObservabilityServices {
  readonly queues: QueueStatsReader;
  /** Jaeger UI base address (JAEGER_UI_URL), or null. */
  readonly jaegerUiUrl: string | null;
  /** Where a supervisor sharing this DATA_DIR writes its scaling status. */
  readonly dataDir: string;
}

export interface GatewayContext extends AuthContext {
  readonly services: GatewayServices;
  /** The API key's principal (everything in open mode); null when unauthenticated. */
  readonly principal: Principal | null;
}
