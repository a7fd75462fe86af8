/**
 * Deleting documents and collections. Running jobs of what is deleted are cancelled first (the
 * store refuses a cancelled job's index write, and the cancel signal aborts running handlers),
 * then the rows go, so nothing a deleted document's job does afterwards can bring it back.
 */
import type { Job, JobStatus } from '../../schema/domain.ts';
import type { Logger } from '../../observability/logger.ts';
import type { JobEventPublisher } from '../../messaging/job-events.ts';
import type { Store } from '../../stores/store.ts';

const ACTIVE: readonly JobStatus[] = ['QUEUED', 'RUNNING'];
const PAGE = 500;

export class DeletionService {
  constructor(private readonly store: Store, private readonly events: JobEventPublisher, private readonly logger: Logger) {}

  /**
   * Cancels the running jobs of this collection's document, then removes it; true when anything
   * was there. The same id in another collection is another document: neither it nor its jobs
   * are touched.
   */
  async deleteDocument(collection: string, id: string): Promise<boolean> {
    const cancelled = await this.cancelAll(await this.activeJobs({ collection, documentId: id }));
    const removed = await this.store.deleteDocument(collection, id);
    this.logger.info('document deleted', { collection, documentId: id, removed, cancelledJobs: cancelled });
    return removed || cancelled > 0;
  }

  /** Cancels the collection's running jobs, then removes it; returns the documents removed. */
  async deleteCollection(name: string): Promise<number> {
    const cancelled = await this.cancelAll(await this.activeJobs({ collection: name }));
    const removed = await this.store.deleteCollection(name);
    this.logger.info('collection deleted', { collection: name, documents: removed, cancelledJobs: cancelled });
    return removed;
  }

  private async activeJobs(filter: { readonly collection: string; readonly documentId?: string }): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const status of ACTIVE) {
      let after: string | undefined;
      do {
        const page = await this.store.listJobs({ ...filter, status, first: PAGE, ...(after ? { after } : {}) });
        // Filter again: a store ignoring an unknown filter field must not cancel unrelated jobs.
        jobs.push(...page.jobs.map(({ job }) => job).filter((job) =>
          job.collection === filter.collection && (filter.documentId === undefined || job.documentId === filter.documentId)));
        after = page.hasNextPage ? page.jobs.at(-1)?.cursor : undefined;
      } while (after);
    }
    return jobs;
  }

  private async cancelAll(jobs: readonly Job[]): Promise<number> {
    let count = 0;
    for (const job of jobs) {
      const cancelled = await this.store.updateJob(job.id, { status: 'CANCELLED', error: 'document deleted' });
      if (!cancelled || cancelled.status !== 'CANCELLED') continue;
      count++;
      await this.events.cancel(cancelled);
      await this.events.publish(cancelled, 'document deleted');
    }
    return count;
  }
}
